package manifest

import (
	"fmt"
	"strconv"

	yamlv3 "go.yaml.in/yaml/v3"
)

// duplicateFields returns the path of every key written twice in one
// mapping of a YAML document, e.g. "spec.email" or
// "spec.partnerAdmins[1].email", in the order they appear.
//
// Kubernetes' strict YAML check only says "line 6: key "email" already set in
// map"; naming the field the way the unknown-field errors do is what lets the
// user find it in a long file. It returns nil when the document does not parse
// or when the duplicate is one only YAML 1.1 sees (e.g. keys "y" and "yes",
// both true there): the caller then falls back to the YAML message.
func duplicateFields(doc []byte) []string {
	var root yamlv3.Node
	if err := yamlv3.Unmarshal(doc, &root); err != nil {
		return nil
	}
	var out []string
	var walk func(n *yamlv3.Node, path string, depth int)
	walk = func(n *yamlv3.Node, path string, depth int) {
		if n == nil || depth > 100 {
			return
		}
		switch n.Kind {
		case yamlv3.DocumentNode:
			for _, c := range n.Content {
				walk(c, path, depth+1)
			}
		case yamlv3.SequenceNode:
			for i, c := range n.Content {
				walk(c, fmt.Sprintf("%s[%d]", path, i), depth+1)
			}
		case yamlv3.MappingNode:
			seen := map[string]bool{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				if k.Kind == yamlv3.ScalarNode && k.Value != "<<" {
					if seen[k.Value] {
						out = append(out, p)
					}
					seen[k.Value] = true
				}
				walk(v, p, depth+1)
			}
		}
	}
	walk(&root, "", 0)
	return out
}

// quoteAll quotes each path for a message.
func quoteAll(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = strconv.Quote(p)
	}
	return out
}
