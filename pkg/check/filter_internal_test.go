package check

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// TestFoldCanon: foldCanon gives one spelling per strings.EqualFold class,
// so that owner values compare by string equality while Filter builds:
// every rune's whole simple-folding orbit maps to one rune EqualFold equates
// with it, ASCII letters to lowercase.
func TestFoldCanon(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		c := canonRune(r)
		if !strings.EqualFold(string(r), string(c)) {
			t.Fatalf("canonRune(%U) = %U, which EqualFold does not equate with it", r, c)
		}
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if canonRune(f) != c {
				t.Fatalf("%U and %U fold together but canonicalize to %U and %U", r, f, c, canonRune(f))
			}
		}
	}
	for _, tc := range []struct{ a, b string }{
		{"Sam@Acme.Example", "sam@acme.example"}, {"ſam", "SAM"}, {"\u212Aim", "kim"}, {"ΣΑΣ", "σας"},
		{"\xff", "\ufffd"}, {"\xff", "\xfe"}, {"İ", "i"}, {"a", "aa"}, {"", ""}, {"", "a"},
	} {
		if eq, same := strings.EqualFold(tc.a, tc.b), foldCanon(tc.a) == foldCanon(tc.b); eq != same {
			t.Errorf("%q, %q: EqualFold %v, same foldCanon %v", tc.a, tc.b, eq, same)
		}
	}
	if got := foldCanon("Dora@ACME.example"); got != "dora@acme.example" {
		t.Errorf("foldCanon lowercases ASCII: got %q", got)
	}
}

// TestFilterDocExample pins the filter docs/effectivepermission.md turns
// into SQL ("Listing: the filter").
func TestFilterDocExample(t *testing.T) {
	public := `{"attribute":"visibility","op":"in","values":["","Group","OwnerAndGroups","Public"]}`
	want := `{"branches":[` +
		`{"conditions":[{"attribute":"owner","op":"in","values":["dora@acme.example"]}],"hiddenFields":[]},` +
		`{"conditions":[{"attribute":"owner","op":"in","values":["erin@acme.example"]},` + public + `],"hiddenFields":[]},` +
		`{"conditions":[{"attribute":"owner","op":"notIn","values":["","erin@acme.example","mallory@acme.example"]},{"attribute":"ownerRole","op":"in","values":["finance"]},` + public + `],"hiddenFields":["salary"]},` +
		`{"conditions":[{"attribute":"owner","op":"notIn","values":["","mallory@acme.example"]},{"attribute":"ownerRole","op":"in","values":["sales"]},` + public + `],"hiddenFields":[]}]}`
	got, err := json.Marshal(Compile(departmentSpec()).Filter(edit, "deals"))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestOwnedByIsEqualFold: ownedBy answers exactly as strings.EqualFold for
// users and owners drawn from ASCII letters and the runes that fold to
// them at another length (ſ is s, K the Kelvin sign is k), of every
// length from 0 to 6, and a few fixed cases.
func TestOwnedByIsEqualFold(t *testing.T) {
	alphabet := []string{"a", "k", "K", "s", "S", "@", ".", "ſ", "\u212a", "é", "É"}
	rng := rand.New(rand.NewPCG(21, 22))
	word := func() string {
		var b strings.Builder
		for range rng.IntN(7) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	cases := [][2]string{
		{"sk@x", "ſk@x"}, {"sk@x", "s\u212a@x"}, {"sk@x", "SK@X"}, {"sk@x", "sk@xx"}, {"sk@xx", "sk@x"},
		{"bob@acme.example", "bob@acme.example."}, {"bob@acme.example", "BOB@acme.example"}, {"", ""}, {"a", ""},
	}
	for range 200000 {
		cases = append(cases, [2]string{word(), word()})
	}
	for _, c := range cases {
		user, owner := c[0], c[1]
		p := &Permissions{user: user, userKey: foldKey(user), userASCII: isASCII(user)}
		if got, want := p.ownedBy(owner), user != "" && strings.EqualFold(owner, user); got != want {
			t.Fatalf("user %q, owner %q: ownedBy %v, EqualFold %v", user, owner, got, want)
		}
	}
}
