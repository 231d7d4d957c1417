package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/tenancy-dev/access-controller/internal/engine"
)

// Object is one decoded input object and where it came from.
type Object struct {
	// Resource is the object, exactly as written.
	Resource Resource
	// Ref names it as the engine does.
	Ref engine.ObjectRef
	// File is the file it came from.
	File string
	// Line is where its document starts in File.
	Line int
}

// Decode decodes every object of one file's contents (multi-document YAML,
// v1 Lists flattened). Empty documents are skipped. name is the file name
// used in errors and in each Object. The first error stops decoding: a file
// that is partly wrong is wrong.
func Decode(name string, data []byte) ([]Object, error) {
	docs, err := splitDocuments(data)
	if err != nil {
		return nil, &InputError{File: name, Reason: err.Error()}
	}
	var out []Object
	n := 0
	for _, d := range docs {
		j, err := yaml.YAMLToJSON(d.data)
		if err != nil {
			return nil, &InputError{File: name, Object: where(n+1, d.line), Reason: "invalid YAML: " + yamlMessage(err, d.line)}
		}
		if isNull(j) {
			continue // blank or comments only
		}
		n++
		objs, err := decodeDocument(name, n, d, j)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

func where(index, line int) string { return fmt.Sprintf("document %d (line %d)", index, line) }

func isNull(j []byte) bool { return bytes.Equal(bytes.TrimSpace(j), []byte("null")) }

// decodeDocument decodes one non-empty document, j being its JSON form.
func decodeDocument(file string, index int, d document, j []byte) ([]Object, error) {
	loc := where(index, d.line)
	id, isObject := peek(j)
	if !isObject {
		return nil, &InputError{File: file, Object: loc, Reason: "a document must be a mapping with apiVersion, kind, metadata and spec"}
	}
	label := id.label(loc)
	// Duplicate keys vanish in the JSON form (the last one wins), so they
	// are checked on the YAML itself.
	if _, err := yaml.YAMLToJSONStrict(d.data); err != nil {
		reason := "duplicate field: " + yamlMessage(err, d.line)
		if paths := duplicateFields(d.data); len(paths) > 0 {
			reason = "duplicate field " + strings.Join(quoteAll(paths), ", ")
		}
		return nil, &InputError{File: file, Object: label, Reason: reason}
	}
	if id.apiVersion == "v1" && id.kind == "List" {
		return decodeList(file, loc, d.line, j)
	}
	o, err := decodeObject(file, label, d.line, j)
	if err != nil {
		return nil, err
	}
	return []Object{o}, nil
}

// decodeList flattens a v1 List, as kubectl get -o yaml writes it.
func decodeList(file, loc string, line int, j []byte) ([]Object, error) {
	var list struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   metav1.ListMeta   `json:"metadata,omitempty"`
		Items      []json.RawMessage `json:"items"`
	}
	strict, err := kjson.UnmarshalStrict(j, &list)
	if err != nil {
		return nil, &InputError{File: file, Object: "List " + loc, Reason: decodeMessage(err)}
	}
	if len(strict) > 0 {
		return nil, &InputError{File: file, Object: "List " + loc, Reason: joinErrors(strict)}
	}
	var out []Object
	for i, raw := range list.Items {
		itemLoc := fmt.Sprintf("%s: items[%d]", loc, i)
		if isNull(raw) {
			return nil, &InputError{File: file, Object: itemLoc, Reason: "empty item"}
		}
		id, isObject := peek(raw)
		if !isObject {
			return nil, &InputError{File: file, Object: itemLoc, Reason: "an item must be a mapping with apiVersion, kind, metadata and spec"}
		}
		o, err := decodeObject(file, id.label(itemLoc), line, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// decodeObject decodes one object strictly through the scheme.
func decodeObject(file, label string, line int, j []byte) (Object, error) {
	fail := func(reason string) (Object, error) {
		return Object{}, &InputError{File: file, Object: label, Reason: reason}
	}
	obj, gvk, err := deserializer.Decode(j, nil, nil)
	switch {
	case err == nil:
	case runtime.IsStrictDecodingError(err):
		se, _ := runtime.AsStrictDecodingError(err)
		return fail(joinErrors(se.Errors()))
	case runtime.IsMissingVersion(err):
		return fail("missing apiVersion")
	case runtime.IsMissingKind(err):
		return fail("missing kind")
	case runtime.IsNotRegisteredError(err) && gvk != nil:
		return fail(unknownKindMessage(*gvk))
	default:
		return fail(decodeMessage(err))
	}
	kind, res, ok := kindOf(obj)
	if !ok {
		k := schema.GroupVersionKind{}
		if gvk != nil {
			k = *gvk
		}
		return fail(unknownKindMessage(k))
	}
	if res.GetName() == "" {
		return fail(fmt.Sprintf("%s: metadata.name is required", kind))
	}
	ref := engine.ObjectRef{Kind: kind, Namespace: res.GetNamespace(), Name: res.GetName()}
	if clusterScoped(kind) {
		ref.Namespace = ""
	} else if ref.Namespace == "" {
		// kubectl would take the context's namespace; offline there is none,
		// and guessing would put the object in another tenant.
		return fail("metadata.namespace is required: write the namespace of its tenant")
	}
	return Object{Resource: res, Ref: ref, File: file, Line: line}, nil
}

func joinErrors(errs []error) string {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = oneLine(e.Error())
	}
	return strings.Join(msgs, ", ")
}

// identity is what a document says it is, read leniently so that an error
// about the rest of it can still name the object.
type identity struct {
	apiVersion, kind, namespace, name string
}

// peek reads a document's identity; isObject is false when the document is
// not a mapping.
func peek(j []byte) (id identity, isObject bool) {
	var m map[string]any
	if err := json.Unmarshal(j, &m); err != nil || m == nil {
		return id, false
	}
	str := func(v any) string { s, _ := v.(string); return s }
	id.apiVersion, id.kind = str(m["apiVersion"]), str(m["kind"])
	if md, ok := m["metadata"].(map[string]any); ok {
		id.namespace, id.name = str(md["namespace"]), str(md["name"])
	}
	return id, true
}

// label is "Kind namespace/name" when the document says both, else fallback.
func (id identity) label(fallback string) string {
	if id.kind == "" || id.name == "" {
		return fallback
	}
	return engine.ObjectRef{Kind: id.kind, Namespace: id.namespace, Name: id.name}.String()
}
