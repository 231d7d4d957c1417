package sqlfilter

import (
	"strings"
	"unicode"
)

// OwnerKey returns the key an application stores beside a record's owner
// e-mail for Columns.OwnerKey: OwnerKey(a) == OwnerKey(b) exactly when
// strings.EqualFold(a, b), as check compares owners. It is the spelling a
// check.Filter writes its owner values in: ASCII is lowercased (so for an
// ASCII e-mail it is lower(email) in SQL), other letters map to one member
// of their simple case-folding orbit (ſ to s, the Kelvin sign K to k), and an
// invalid byte becomes U+FFFD, as strings.EqualFold reads it. "" stays "".
func OwnerKey(email string) string {
	var b strings.Builder
	b.Grow(len(email))
	for _, r := range email {
		b.WriteRune(canonRune(r))
	}
	return b.String()
}

// canonRune is the lowercase of the smallest rune of r's simple-folding
// orbit when that lowercase is in the orbit, else that smallest rune: one
// rune per orbit (check's foldCanon, which the tests hold this to).
func canonRune(r rune) rune {
	lo := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		lo = min(lo, f)
	}
	if l := unicode.ToLower(lo); l != lo {
		for f := unicode.SimpleFold(lo); f != lo; f = unicode.SimpleFold(f) {
			if f == l {
				return l
			}
		}
	}
	return lo
}
