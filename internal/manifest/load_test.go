package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// writeTree writes files (path → contents) under a new temporary directory
// and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func tenant(name string) string {
	return head + "kind: Tenant\nmetadata: {name: " + name + "}\n"
}

func role(ns, name string) string {
	return head + "kind: Role\nmetadata: {name: " + name + ", namespace: " + ns + "}\n"
}

func TestLoad(t *testing.T) {
	tree := map[string]string{
		"b.yaml":                  tenant("b"),
		"a.yml":                   tenant("a") + "---\n" + role("a", "r1"),
		"sub/deeper/c.yaml":       role("a", "r2"),
		"sub/notes.txt":           "not yaml: [",
		"sub/kustomization.yaml":  "resources: [deeper/c.yaml]\n",
		"sub/empty.yaml":          "# nothing here\n",
		"dup/one.yaml":            role("a", "same"),
		"dup/two.yaml":            role("a", "same"),
		"dupfile/both.yaml":       role("a", "x") + "---\n" + role("a", "x"),
		"bad/bad.yaml":            head + "kind: Role\nmetadata: {name: r, namespace: a}\nspec: {reportTo: ceo}\n",
		"tenant-ns/t.yaml":        tenant("a"),
		"tenant-ns/t2.yaml":       head + "kind: Tenant\nmetadata: {name: a, namespace: a}\n",
		"emptydir/readme.md":      "no manifests",
		"listdir/list.yaml":       "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: access.tenancy.dev/v1alpha1, kind: Tenant, metadata: {name: l}}\n",
		"listdir/more/other.yaml": tenant("m"),
	}
	dir := writeTree(t, tree)
	p := func(rel string) string { return filepath.Join(dir, filepath.FromSlash(rel)) }

	tests := []struct {
		name    string
		paths   []string
		want    []string // "file: ref", file relative to dir
		wantErr string   // with dir replaced by "DIR"
	}{{
		name:  "files in the order given",
		paths: []string{p("b.yaml"), p("a.yml")},
		want:  []string{"b.yaml: Tenant b", "a.yml: Tenant a", "a.yml: Role a/r1"},
	}, {
		name:  "directory walked recursively in lexical order, kustomization and non-yaml skipped",
		paths: []string{p("sub"), p("listdir")},
		want:  []string{"sub/deeper/c.yaml: Role a/r2", "listdir/list.yaml: Tenant l", "listdir/more/other.yaml: Tenant m"},
	}, {
		name:  "a file named twice is read once",
		paths: []string{p("a.yml"), p("./a.yml"), dir + "/sub/../a.yml"},
		want:  []string{"a.yml: Tenant a", "a.yml: Role a/r1"},
	}, {
		name:    "same object in two files",
		paths:   []string{p("dup")},
		wantErr: "DIR/dup/two.yaml: Role a/same: defined twice (also in DIR/dup/one.yaml)",
	}, {
		name:    "same object twice in one file",
		paths:   []string{p("dupfile")},
		wantErr: "DIR/dupfile/both.yaml: Role a/x: defined twice (also at line 1 of this file)",
	}, {
		name:    "a Tenant's namespace does not make it another Tenant",
		paths:   []string{p("tenant-ns")},
		wantErr: "DIR/tenant-ns/t2.yaml: Tenant a: defined twice (also in DIR/tenant-ns/t.yaml)",
	}, {
		name:    "the first bad file stops loading",
		paths:   []string{p("b.yaml"), p("bad")},
		wantErr: `DIR/bad/bad.yaml: Role a/r: unknown field "spec.reportTo"`,
	}, {
		name:    "missing path",
		paths:   []string{p("nope.yaml")},
		wantErr: "DIR/nope.yaml: no such file or directory",
	}, {
		name:    "directory without manifests",
		paths:   []string{p("emptydir")},
		wantErr: "DIR/emptydir: no *.yaml or *.yml files in this directory",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Load(tt.paths...)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("Load() = %d objects, want error", s.Len())
				}
				if got := strings.ReplaceAll(err.Error(), dir, "DIR"); got != tt.wantErr {
					t.Fatalf("Load() error\n got %s\nwant %s", got, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load() error: %v", err)
			}
			var got []string
			for _, o := range s.Objects() {
				rel, _ := filepath.Rel(dir, o.File)
				got = append(got, filepath.ToSlash(rel)+": "+o.Ref.String())
				if f := s.File(o.Ref); f != o.File {
					t.Errorf("File(%s) = %q, want %q", o.Ref, f, o.File)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Load() objects (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadStdin(t *testing.T) {
	s, err := LoadFrom(strings.NewReader(tenant("piped")), Stdin, Stdin)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(s.Snapshot.Tenants); got != 1 {
		t.Fatalf("tenants = %d, want 1 (stdin named twice is read once)", got)
	}
	if f := s.Objects()[0].File; f != "<stdin>" {
		t.Errorf("File = %q, want <stdin>", f)
	}
	_, err = LoadFrom(strings.NewReader("kind: [\n"), Stdin)
	if err == nil || !strings.HasPrefix(err.Error(), "<stdin>: document 1 (line 1): invalid YAML") {
		t.Errorf("bad stdin: error = %v", err)
	}
}
