package engine

import (
	"cmp"
	"fmt"
	"slices"
)

// findings collects findings; the order of adding does not matter, they are
// sorted at the end.
type findings []Finding

func (fs *findings) add(sev Severity, tenant string, obj ObjectRef, field, reason, format string, args ...any) {
	*fs = append(*fs, Finding{
		Object:   obj,
		Field:    field,
		Reason:   reason,
		Message:  fmt.Sprintf(format, args...),
		Severity: sev,
		Tenant:   tenant,
	})
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
