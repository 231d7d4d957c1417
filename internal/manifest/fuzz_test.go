package manifest

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// scenarioFiles lists every file of the scenarios copied into the
// repository's testdata (see testdata/scenarios).
func scenarioFiles(t testing.TB) []string {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "scenarios", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no scenario files in testdata/scenarios")
	}
	return files
}

// FuzzDecode: decoding arbitrary bytes never panics; it either fails with a
// one-line *InputError or yields objects that, marshalled back to YAML and
// decoded again, marshal to the same bytes (nothing decoded is lost or
// invented on the way).
func FuzzDecode(f *testing.F) {
	for _, p := range scenarioFiles(f) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, broken := range []string{
		"",
		"---\n---\n",
		"kind: [\n",
		"\tkind: Tenant\n",
		"- a\n- b\n",
		"--- not a separator\n",
		head + "kind: Member\nmetadata: {name: a, namespace: b}\nspec: {email: a, email: b}\n",
		head + "kind: Member\nmetadata: {name: a, namespace: b}\nspec: {emial: a}\n",
		head + "kind: Member\nmetadata: {name: a, namespace: b}\nspec: {active: maybe}\n",
		head + "kind: Tenant\nmetadata: {name: a, creationTimestamp: \"2026-01-02T03:04:05.6+02:00\"}\n",
		head + "kind: Nope\nmetadata: {name: a}\n",
		"apiVersion: v1\nkind: List\nitems: [{apiVersion: access.tenancy.dev/v1alpha1, kind: Tenant, metadata: {name: a}}, 3]\n",
		"a: &a [*a, *a]\nb: *a\n",
		"apiVersion: access.tenancy.dev/v1alpha1\nkind: Role\nmetadata: {name: \"x\\ny\", namespace: b}\nspec: {bad: 1}\n",
	} {
		f.Add([]byte(broken))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := Decode("fuzz.yaml", data)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %T is not an *InputError: %v", err, err)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") {
				t.Fatalf("error is not one line: %q", msg)
			}
			return
		}
		first := marshalAll(t, objs)
		again, err := Decode("again.yaml", first)
		if err != nil {
			t.Fatalf("decoding the re-marshalled objects: %v\n%s", err, first)
		}
		if len(again) != len(objs) {
			t.Fatalf("re-decoded %d objects, want %d", len(again), len(objs))
		}
		for i := range objs {
			if objs[i].Ref != again[i].Ref {
				t.Fatalf("object %d: re-decoded as %s, want %s", i, again[i].Ref, objs[i].Ref)
			}
		}
		if second := marshalAll(t, again); !bytes.Equal(first, second) {
			t.Fatalf("round trip changed the objects:\nfirst:\n%s\nsecond:\n%s", first, second)
		}
	})
}

func marshalAll(t *testing.T, objs []Object) []byte {
	t.Helper()
	var b bytes.Buffer
	for i, o := range objs {
		if i > 0 {
			b.WriteString("---\n")
		}
		y, err := yaml.Marshal(o.Resource)
		if err != nil {
			t.Fatalf("marshal %s: %v", o.Ref, err)
		}
		b.Write(y)
	}
	return b.Bytes()
}
