package check

import (
	"encoding/json"
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
