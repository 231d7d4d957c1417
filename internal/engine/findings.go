package engine

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// findings collects findings; the order of adding does not matter, they are
// sorted at the end.
type findings []Finding

// add adds a finding and returns it, for what the finding does besides
// (w.drop, w.pend).
func (fs *findings) add(sev Severity, tenant string, obj ObjectRef, field, reason, format string, args ...any) Finding {
	f := Finding{
		Object:   obj,
		Field:    field,
		Reason:   reason,
		Message:  fmt.Sprintf(format, args...),
		Severity: sev,
		Tenant:   tenant,
	}
	*fs = append(*fs, f)
	return f
}

func (fs findings) sorted() []Finding {
	out := slices.Clone([]Finding(fs))
	slices.SortFunc(out, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Object.Kind, b.Object.Kind),
			cmp.Compare(a.Object.Namespace, b.Object.Namespace),
			cmp.Compare(a.Object.Name, b.Object.Name),
			cmp.Compare(a.Field, b.Field),
			cmp.Compare(a.Reason, b.Reason),
			cmp.Compare(a.Message, b.Message),
		)
	})
	return slices.CompactFunc(out, func(a, b Finding) bool { return a == b })
}

func refOf(kind, namespace, name string) ObjectRef {
	return ObjectRef{Kind: kind, Namespace: namespace, Name: name}
}

// What findings' fields and messages are written with.

// fieldIndex names the i-th item of the list at path: "spec.roles[2]".
func fieldIndex(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// quoted quotes names and joins them with sep: `"a", "b"`.
func quoted(names []string, sep string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, sep)
}

// plural is one when n is 1, else many.
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// orNobody names an empty e-mail "nobody".
func orNobody(email string) string {
	if email == "" {
		return "nobody"
	}
	return email
}
