package engine_test

import (
	"regexp"
	"testing"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
)

var emailPattern = regexp.MustCompile(accessv1.EmailPattern)

var emails = []string{
	"ana@acme.example", "Ana.B+x%y_z-1@mail.acme-co.example", "a@b.c", "a@b", "@b.c", "a@.b", "a@b.", "a@b..c",
	"a@@b.c", "a b@c.d", "a@b_c.d", "a@b.c\n", "ä@b.c", "a@b.cö", "", "@", ".", "a.@b.c", ".a@b.c",
	"a@-b.c", "a@b.-", "a@1.2", "\xff@b.c", "a@b.c.", "a@b.c@d.e", "ana@ACME.EXAMPLE",
}

// TestValidEmail: ValidEmail says what accessv1.EmailPattern (the CRDs' CEL
// rule) says.
func TestValidEmail(t *testing.T) {
	for _, s := range emails {
		if got, want := engine.ValidEmail(s), emailPattern.MatchString(s); got != want {
			t.Errorf("ValidEmail(%q) = %v, the pattern says %v", s, got, want)
		}
	}
}

// FuzzValidEmail holds ValidEmail to accessv1.EmailPattern on any string.
func FuzzValidEmail(f *testing.F) {
	for _, s := range emails {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := engine.ValidEmail(s), emailPattern.MatchString(s); got != want {
			t.Errorf("ValidEmail(%q) = %v, the pattern says %v", s, got, want)
		}
	})
}
