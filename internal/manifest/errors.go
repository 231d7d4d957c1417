package manifest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// InputError is a manifest that cannot be read: a missing file, bad YAML, an
// object the API server would not accept as written. Its Error is a single
// line, "file: object: reason", so a pipeline log points at the culprit.
type InputError struct {
	// File is the path as given (or found in a directory); "<stdin>" for -.
	File string
	// Object is "Kind namespace/name" when known, else "document N (line L)";
	// empty for errors about the file itself.
	Object string
	// Reason says what is wrong, naming the field when there is one.
	Reason string
}

func (e *InputError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(printable(e.File))
		b.WriteString(": ")
	}
	if e.Object != "" {
		b.WriteString(printable(e.Object))
		b.WriteString(": ")
	}
	b.WriteString(oneLine(e.Reason))
	return b.String()
}

// printable quotes s when it holds characters that would break the one-line
// message (a name or file name with a newline, say).
func printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

// oneLine folds a multi-line message (YAML errors list one problem per line)
// into one line.
func oneLine(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}

var (
	yamlLineRE = regexp.MustCompile(`\bline (\d+)`)
	// typeErrRE matches encoding/json's type errors as apimachinery reports
	// them: "json: cannot unmarshal number into Go struct field
	// MemberSpec.spec.active of type bool". The first path element is the Go
	// type; the rest is the field path the user wrote.
	typeErrRE = regexp.MustCompile(`^json: cannot unmarshal (\w+) into Go (?:struct field [^.\s]*\.(\S+)|value) of type (\S+)$`)
)

// yamlMessage turns a YAML library error into a one-line reason with line
// numbers counted from the top of the file instead of the document.
func yamlMessage(err error, firstLine int) string {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "error converting YAML to JSON: ")
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:")
	return oneLine(absoluteLines(msg, firstLine))
}

// absoluteLines rewrites "line N" (relative to a document) as a line of the file.
func absoluteLines(msg string, firstLine int) string {
	return yamlLineRE.ReplaceAllStringFunc(msg, func(m string) string {
		n, err := strconv.Atoi(strings.TrimPrefix(m, "line "))
		if err != nil {
			return m
		}
		return fmt.Sprintf("line %d", n+firstLine-1)
	})
}

// decodeMessage rewrites a JSON type error so that it names the field the
// way the user wrote it, and leaves any other message alone.
func decodeMessage(err error) string {
	msg := oneLine(err.Error())
	m := typeErrRE.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	got := map[string]string{"array": "a list", "object": "a mapping", "number": "a number", "string": "a string", "bool": "a boolean"}[m[1]]
	if got == "" {
		got = m[1]
	}
	if m[2] == "" {
		return fmt.Sprintf("want a mapping, got %s", got)
	}
	return fmt.Sprintf("field %q: want %s, got %s", m[2], goTypeWords(m[3]), got)
}

// goTypeWords says a Go type the way a YAML author thinks of it; named types
// (v1alpha1.Action, v1.ObjectMeta) are left as they are.
func goTypeWords(t string) string {
	switch {
	case t == "string":
		return "a string"
	case t == "bool":
		return "a boolean"
	case strings.HasPrefix(t, "int") || strings.HasPrefix(t, "uint"):
		return "an integer"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["):
		return "a mapping"
	}
	return t
}
