package engine

import (
	"fmt"
	"strings"
)

func fieldIndex(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

func quoteJoin(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, " and ")
}
