package manifest

import (
	"bytes"
	"fmt"
)

// document is one YAML document of a file.
type document struct {
	// line is the file's line number where the document starts (1-based).
	line int
	data []byte
}

// splitDocuments splits a multi-document YAML stream the way kubectl does
// (k8s.io/apimachinery/pkg/util/yaml.YAMLReader): a line that starts with
// "---" separates documents, and may be followed only by spaces and a
// comment. Keeping the same rule means a file accessctl accepts is one
// kubectl applies. Unlike YAMLReader, it remembers where each document
// starts, so errors can point at a line.
func splitDocuments(data []byte) ([]document, error) {
	var docs []document
	var cur []byte
	start := 1
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i+1], data[i+1:]
		} else {
			line, data = data, nil
		}
		if bytes.HasPrefix(line, []byte("---")) {
			rest := bytes.TrimSpace(line[3:])
			if len(rest) > 0 && rest[0] != '#' {
				return nil, fmt.Errorf("line %d: invalid document separator %q: only a comment may follow ---", lineNo, bytes.TrimSpace(line))
			}
			if len(cur) > 0 {
				docs = append(docs, document{line: start, data: cur})
			}
			cur, start = nil, lineNo+1
			continue
		}
		cur = append(cur, line...)
	}
	if len(cur) > 0 {
		docs = append(docs, document{line: start, data: cur})
	}
	return docs, nil
}
