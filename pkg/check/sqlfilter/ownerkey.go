package sqlfilter

import "github.com/tenancy-dev/access-controller/pkg/check"

// OwnerKey returns the key an application stores beside a record's owner
// e-mail for Columns.OwnerKey: OwnerKey(a) == OwnerKey(b) exactly when
// strings.EqualFold(a, b), as check compares owners. It is the spelling a
// check.Filter writes its owner values in (check.OwnerKey): ASCII is
// lowercased (so for an ASCII e-mail it is lower(email) in SQL), other
// letters map to one member of their simple case-folding orbit (ſ to s, the
// Kelvin sign K to k), and an invalid byte becomes U+FFFD, as
// strings.EqualFold reads it. "" stays "".
func OwnerKey(email string) string { return check.OwnerKey(email) }
