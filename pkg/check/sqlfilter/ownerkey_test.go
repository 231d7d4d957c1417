package sqlfilter_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/pkg/check"
	"github.com/tenancy-dev/access-controller/pkg/check/sqlfilter"
)

// TestOwnerKeyIsEqualFold: over every rune, the key is a rune of the same
// simple-folding orbit and the same for the whole orbit; so, as
// strings.EqualFold compares rune by rune, OwnerKey(a) == OwnerKey(b)
// exactly when strings.EqualFold(a, b).
func TestOwnerKeyIsEqualFold(t *testing.T) {
	orbits := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		k := sqlfilter.OwnerKey(string(r))
		if utf8.RuneCountInString(k) != 1 || !strings.EqualFold(k, string(r)) {
			t.Fatalf("OwnerKey(%U) = %q: not one rune of its orbit", r, k)
		}
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if kf := sqlfilter.OwnerKey(string(f)); kf != k {
				t.Fatalf("OwnerKey(%U) = %q, OwnerKey(%U) = %q: one orbit, two keys", r, k, f, kf)
			}
		}
		if k == string(r) && unicode.SimpleFold(r) != r {
			orbits++
		}
	}
	if orbits < 1000 {
		t.Fatalf("only %d case-folding orbits seen", orbits)
	}
	// Strings: ASCII lowercases; bytes that are not UTF-8 read as U+FFFD,
	// as EqualFold reads them.
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"Dora@ACME.example", "dora@acme.example"},
		{"\u212Aim@acme.example", "kim@acme.example"},
		{"ſam@acme.example", "sam@acme.example"},
		{"ΣΊΣΥΦΟΣ@example.gr", "σίσυφοσ@example.gr"}, // the final ς too
		{"a\xffb", "a\uFFFDb"},
	} {
		if got := sqlfilter.OwnerKey(tc.in); got != tc.want || !strings.EqualFold(tc.in, tc.want) {
			t.Errorf("OwnerKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzOwnerKey: OwnerKey equates exactly what strings.EqualFold does.
func FuzzOwnerKey(f *testing.F) {
	f.Add("kim@acme.example", "\u212AIM@ACME.example")
	f.Add("sam", "ſAM")
	f.Add("\xff", "\uFFFD")
	f.Add("ß", "ss")
	f.Add("İ", "i")
	f.Fuzz(func(t *testing.T, a, b string) {
		if eq, keys := strings.EqualFold(a, b), sqlfilter.OwnerKey(a) == sqlfilter.OwnerKey(b); eq != keys {
			t.Fatalf("EqualFold(%q, %q) = %v, keys %q %q", a, b, eq, sqlfilter.OwnerKey(a), sqlfilter.OwnerKey(b))
		}
	})
}

// TestOwnerKeyIsFiltersSpelling: the owner value a Filter writes for a
// user is OwnerKey of the user's e-mail, so a Filter's values are keys
// already (Where keys them again all the same).
func TestOwnerKeyIsFiltersSpelling(t *testing.T) {
	for _, email := range []string{"dora@acme.example", "Dora@ACME.example", "\u212Aim@acme.example", "ſAM@acme.example",
		"ΣΊΣΥΦΟΣ@example.gr", "ǅemal@example.ba", "a\xffb@example", "İpek@example.tr"} {
		spec := &accessv1.EffectivePermissionSpec{Tenant: "acme", User: email, Active: true, Objects: []accessv1.ObjectPermission{{
			Type: "deals", Actions: []accessv1.Action{accessv1.ActionView},
			Grants: []accessv1.RecordGrant{{Scope: accessv1.ScopeOwn, Access: accessv1.AccessRead}},
		}}}
		f := check.Compile(spec).Filter(accessv1.ActionView, "deals")
		if len(f.Branches) != 1 || len(f.Branches[0].Conditions) != 1 || len(f.Branches[0].Conditions[0].Values) != 1 {
			t.Fatalf("%q: want one branch, owner in [one value]: %+v", email, f)
		}
		if got, want := f.Branches[0].Conditions[0].Values[0], sqlfilter.OwnerKey(email); got != want {
			t.Errorf("%q: the Filter writes %q, OwnerKey is %q", email, got, want)
		}
	}
}
