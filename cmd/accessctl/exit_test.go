package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExitCodes: usage and input errors exit 2 with a one-line reason that
// names the file and the object; answers exit 0 or 1.
func TestExitCodes(t *testing.T) {
	bad := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(bad, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unknownKind := write("kind.yaml", "apiVersion: access.tenancy.dev/v1alpha1\nkind: Person\nmetadata: {name: alice, namespace: acme}\n")
	unknownField := write("field.yaml", "apiVersion: access.tenancy.dev/v1alpha1\nkind: Member\nmetadata: {name: alice, namespace: acme}\nspec: {emial: a@acme.example}\n")
	badYAML := write("bad.yaml", "apiVersion: access.tenancy.dev/v1alpha1\nkind: Tenant\nmetadata: {name: [\n")
	rh := filepath.Join(scenariosDir, "role-hierarchy")
	checkArgs := func(extra ...string) []string {
		return append([]string{"check", "-f", rh, "--tenant", "northwind", "--user", "teresa@northwind.example"}, extra...)
	}

	tests := []struct {
		name       string
		args       []string
		want       int
		wantStderr string // a substring of stderr
		oneLine    bool   // stderr is exactly one line
	}{
		{name: "help", args: []string{"--help"}, want: 0},
		{name: "no command prints help", args: nil, want: 0},
		{name: "unknown command", args: []string{"frobnicate"}, want: 2, wantStderr: `unknown command "frobnicate"`},
		{name: "unknown flag", args: []string{"validate", "--frob"}, want: 2, wantStderr: "unknown flag: --frob"},
		{name: "validate without -f", args: []string{"validate"}, want: 2, wantStderr: "-f/--filename is required"},
		{name: "positional argument", args: []string{"validate", "-f", rh, "extra"}, want: 2, wantStderr: `unknown command "extra"`},
		{name: "missing file", args: []string{"validate", "-f", filepath.Join(bad, "nope.yaml")}, want: 2,
			wantStderr: "nope.yaml: no such file or directory", oneLine: true},
		{name: "unknown kind", args: []string{"validate", "-f", unknownKind}, want: 2,
			wantStderr: `kind.yaml: Person acme/alice: unknown kind "Person"`, oneLine: true},
		{name: "unknown field", args: []string{"render", "-f", unknownField}, want: 2,
			wantStderr: `field.yaml: Member acme/alice: unknown field "spec.emial"`, oneLine: true},
		{name: "bad YAML", args: []string{"check", "-f", badYAML, "--tenant", "t", "--user", "u@x.example", "--capability", "c"}, want: 2,
			wantStderr: "bad.yaml: document 1 (line 1): invalid YAML: line 3:", oneLine: true},
		{name: "bad --now", args: []string{"render", "-f", rh, "--now", "tomorrow"}, want: 2, wantStderr: `--now "tomorrow"`},
		{name: "render -o xml", args: []string{"render", "-f", rh, "-o", "xml"}, want: 2, wantStderr: `-o "xml": want yaml or json`},
		{name: "check without --tenant", args: []string{"check", "-f", rh, "--user", "u@x.example", "--capability", "c"}, want: 2, wantStderr: "--tenant is required"},
		{name: "check without --user", args: []string{"check", "-f", rh, "--tenant", "t", "--capability", "c"}, want: 2, wantStderr: "--user is required"},
		{name: "neither --capability nor --action", args: checkArgs(), want: 2, wantStderr: "exactly one of --capability and --action"},
		{name: "both --capability and --action", args: checkArgs("--capability", "c", "--action", "view", "--type", "deals"), want: 2,
			wantStderr: "exactly one of --capability and --action"},
		{name: "unknown action", args: checkArgs("--action", "read", "--type", "deals"), want: 2,
			wantStderr: `--action "read": want one of view, create, edit, delete, export, viewAll, modifyAll`},
		{name: "--action without --type", args: checkArgs("--action", "view"), want: 2, wantStderr: "--action needs --type"},
		{name: "bad visibility", args: checkArgs("--action", "view", "--type", "deals", "--visibility", "public"), want: 2,
			wantStderr: `--visibility "public": want Public, Group, OwnerAndGroups or Private`},
		{name: "record flag with --capability", args: checkArgs("--capability", "c", "--owner", "x@y.example"), want: 2,
			wantStderr: "--owner describes a record"},
		{name: "malformed --user", args: []string{"check", "-f", rh, "--tenant", "t", "--user", "notanemail", "--capability", "c"}, want: 2,
			wantStderr: `--user "notanemail": not an e-mail address`},
		{name: "malformed --owner", args: checkArgs("--action", "view", "--type", "deals", "--owner", "jim"), want: 2,
			wantStderr: `--owner "jim": not an e-mail address`},
		{name: "malformed --type", args: checkArgs("--action", "view", "--type", "Deals"), want: 2,
			wantStderr: `--type "Deals": an object type is a lowercase DNS label`},
		{name: "--field without --owner", args: checkArgs("--action", "view", "--type", "deals", "--field", "email"), want: 2,
			wantStderr: "--field describes a record: give its --owner too"},
		{name: "--visibility without --owner", args: checkArgs("--action", "view", "--type", "deals", "--visibility", "Public"), want: 2,
			wantStderr: "--visibility describes a record: give its --owner too"},
		{name: "check -o yaml", args: checkArgs("--capability", "c", "-o", "yaml"), want: 2, wantStderr: `-o "yaml": want text or json`},
		{name: "usage errors come before reading files", args: []string{"check", "-f", badYAML, "--tenant", "t"}, want: 2, wantStderr: "--user is required"},
		{name: "valid", args: []string{"validate", "-f", rh}, want: 0, wantStderr: "objects valid"},
		{name: "invalid", args: []string{"validate", "-f", filepath.Join(scenariosDir, "invalid-role-cycle")}, want: 1},
		{name: "unknown tenant is denied", args: []string{"check", "-f", rh, "--tenant", "nowhere", "--user", "teresa@northwind.example", "--capability", "reports.access"}, want: 1},
		{name: "unknown user is denied", args: checkArgs("--user", "nobody@northwind.example", "--capability", "reports.access"), want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := accessctl(t, nil, tt.args...)
			if r.code != tt.want {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.want, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, r.stderr)
			}
			if tt.oneLine && strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("stderr is not one line:\n%s", r.stderr)
			}
			if tt.want == 2 && r.stdout != "" {
				t.Errorf("stdout not empty on error:\n%s", r.stdout)
			}
		})
	}
}

func TestHelpHasExamples(t *testing.T) {
	for _, cmd := range []string{"validate", "render", "check"} {
		r := accessctl(t, nil, cmd, "--help")
		if r.code != 0 || !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "accessctl "+cmd) {
			t.Errorf("%s --help: exit %d, output lacks examples:\n%s", cmd, r.code, r.stdout)
		}
		if strings.Contains(r.stdout, "--now") {
			t.Errorf("%s --help shows the hidden --now flag", cmd)
		}
	}
}

func TestCheckOutput(t *testing.T) {
	rh := filepath.Join(scenariosDir, "role-hierarchy")
	base := []string{"check", "-f", rh, "--now", testNow, "--tenant", "northwind"}

	t.Run("no EffectivePermission", func(t *testing.T) {
		r := accessctl(t, nil, append(base, "--user", "nobody@northwind.example", "--capability", "reports.access", "--explain")...)
		want := "denied\nno EffectivePermission for nobody@northwind.example in tenant northwind\n" +
			"nobody@northwind.example is no member of tenant northwind, and no partner agency gives them access there\n"
		if r.code != exitNo || r.stdout != want {
			t.Errorf("exit %d, stdout %q; want 1, %q", r.code, r.stdout, want)
		}
		r = accessctl(t, nil, append(base, "--user", "nobody@northwind.example", "--action", "view", "--type", "deals", "-o", "json")...)
		want = `{"allowed":false,"access":"None","reasons":["no EffectivePermission for nobody@northwind.example in tenant northwind"]}` + "\n"
		if r.code != exitNo || r.stdout != want {
			t.Errorf("json: exit %d, stdout %q; want 1, %q", r.code, r.stdout, want)
		}
	})

	t.Run("first line is the decision", func(t *testing.T) {
		args := append(base, "--user", "teresa@northwind.example", "--action", "edit", "--type", "deals", "--owner", "jim@northwind.example")
		r := accessctl(t, nil, args...)
		if r.code != exitOK || r.stdout != "allowed\n" {
			t.Errorf("exit %d, stdout %q; want 0, %q", r.code, r.stdout, "allowed\n")
		}
		r = accessctl(t, nil, append(args, "--explain")...)
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		if r.code != exitOK || lines[0] != "allowed" || len(lines) < 2 {
			t.Errorf("--explain: exit %d, stdout %q; want allowed and the reasons", r.code, r.stdout)
		}
	})

	t.Run("json", func(t *testing.T) {
		r := accessctl(t, nil, append(base, "--user", "jim@northwind.example", "--action", "edit", "--type", "deals", "--owner", "mike@northwind.example", "-o", "json")...)
		var d struct {
			Allowed *bool     `json:"allowed"`
			Access  string    `json:"access"`
			Reasons *[]string `json:"reasons"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
			t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
		}
		if r.code != exitNo || d.Allowed == nil || *d.Allowed || d.Reasons == nil {
			t.Errorf("exit %d, %s; want 1 and a denial with reasons", r.code, r.stdout)
		}
		if d.Access != "None" && d.Access != "Read" && d.Access != "ReadWrite" {
			t.Errorf("access = %q", d.Access)
		}
	})
}

// TestStdin: -f - reads the manifests from standard input.
func TestStdin(t *testing.T) {
	var all []string
	files, _ := filepath.Glob(filepath.Join(scenariosDir, "role-hierarchy", "*.yaml"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, string(data))
	}
	stdin := strings.NewReader(strings.Join(all, "---\n"))
	r := accessctl(t, stdin, "render", "-f", "-", "--now", testNow)
	want := accessctl(t, nil, "render", "-f", filepath.Join(scenariosDir, "role-hierarchy"), "--now", testNow)
	if r.code != exitOK || r.stdout != want.stdout {
		t.Errorf("render -f - differs from render -f DIR (exit %d): %s", r.code, r.stderr)
	}
}

// TestRenderOutput: no status and no creationTimestamp in either format; JSON
// is a v1 List with the same objects as the YAML stream.
func TestRenderOutput(t *testing.T) {
	dir := filepath.Join(scenariosDir, "partners")
	y := accessctl(t, nil, "render", "-f", dir, "--now", testNow)
	j := accessctl(t, nil, "render", "-f", dir, "--now", testNow, "-o", "json")
	for _, out := range []string{y.stdout, j.stdout} {
		for _, noise := range []string{"creationTimestamp", "status", "resourceVersion"} {
			if strings.Contains(out, noise) {
				t.Errorf("render output contains %q", noise)
			}
		}
	}
	var list struct {
		APIVersion, Kind string
		Items            []struct {
			APIVersion, Kind string
			Metadata         struct{ Name, Namespace string }
		}
	}
	if err := json.Unmarshal([]byte(j.stdout), &list); err != nil {
		t.Fatalf("-o json is not JSON: %v", err)
	}
	if list.APIVersion != "v1" || list.Kind != "List" {
		t.Errorf("-o json envelope = %s %s, want v1 List", list.APIVersion, list.Kind)
	}
	docs := strings.Count(y.stdout, "\n---\n") + 1
	if y.stdout == "" {
		docs = 0
	}
	if len(list.Items) != docs || docs == 0 {
		t.Errorf("-o json has %d items, the YAML stream %d documents", len(list.Items), docs)
	}
	for _, it := range list.Items {
		if it.APIVersion != "access.tenancy.dev/v1alpha1" || it.Kind != "EffectivePermission" || it.Metadata.Name == "" || it.Metadata.Namespace == "" {
			t.Errorf("item %+v lacks apiVersion, kind, name or namespace", it)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

// TestOutputError: a failed write (a closed pipe) exits 2 and says so, without
// the usage hint.
func TestOutputError(t *testing.T) {
	var stderr strings.Builder
	code := run([]string{"render", "-f", filepath.Join(scenariosDir, "role-hierarchy")}, strings.NewReader(""), failingWriter{}, &stderr)
	if code != exitInput || !strings.HasPrefix(stderr.String(), "error: writing output: ") || strings.Contains(stderr.String(), "--help") {
		t.Errorf("exit %d, stderr %q; want 2 and a write error", code, stderr.String())
	}
}
