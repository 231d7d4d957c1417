package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// complete runs cobra's __complete in-process, as the shell scripts do
// on <TAB>: the last word is the one being completed.
func complete(t *testing.T, name string, words ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	args := words
	if name != nameCompleter {
		args = append([]string{"__complete"}, words...)
	}
	if code := runAs(name, args, strings.NewReader(""), &out, &errb); code != exitOK {
		t.Fatalf("__complete %v: exit %d, %s", words, code, errb.String())
	}
	return out.String()
}

// TestCompletion: the values of --tenant, -n, --user, --owner and the
// fixed-choice flags come from the -f manifests and the command; the
// shell gets them in cobra's format (value, tab, description; then the
// directive, 4: no file completion).
func TestCompletion(t *testing.T) {
	partners := scenarioDir("partners")
	rh := scenarioDir("role-hierarchy")
	tests := []struct {
		name  string
		words []string
		want  string
	}{
		{"tenants with display names", []string{"check", "-f", partners, "--tenant", ""},
			"acme\tAcme Corp\nagency-x\tAgency X\nglobex\n:4\n"},
		{"tenants by prefix", []string{"who-can", "-f", partners, "--tenant", "a"},
			"acme\tAcme Corp\nagency-x\tAgency X\n:4\n"},
		{"namespaces", []string{"check", "-f", partners, "-n", "ag"},
			"agency-x\ttenant agency-x\n:4\n"},
		{"the users of a tenant, partner people included", []string{"check", "-f", partners, "--now", testNow, "--tenant", "acme", "--user", ""},
			"bob@agency-x.example\tStandard from agency-x\ncarol@acme.example\tSuperAdmin\ndave@agency-x.example\tPartnerAdmin from agency-x\n" +
				"erin@freelance.example\tPartnerStaff from agency-x\nfrank@agency-x.example\tPartnerStaff from agency-x\nrita@acme.example\tStandard\n:4\n"},
		{"the users of a tenant named by -n, by prefix in any case", []string{"check", "-f", partners, "--now", testNow, "-n", "acme", "--user", "D"},
			"dave@agency-x.example\tPartnerAdmin from agency-x\n:4\n"},
		{"every member before --tenant", []string{"check", "-f", rh, "--user", "t"},
			"teresa@northwind.example\tnorthwind/teresa\n:4\n"},
		{"owners are the tenant's members", []string{"check", "-f", partners, "--tenant", "acme", "--owner", ""},
			"bob@agency-x.example\tacme/bob\ncarol@acme.example\tacme/carol\nrita@acme.example\tacme/rita\n:4\n"},
		{"reach's users are the partner's members", []string{"reach", "-f", partners, "--tenant", "agency-x", "--user", "e"},
			"erin@freelance.example\tagency-x/erin\n:4\n"},
		{"actions", []string{"check", "--action", "v"}, "view\nviewAll\n:4\n"},
		{"visibilities", []string{"who-can", "--visibility", ""}, "Public\nGroup\nOwnerAndGroups\nPrivate\n:4\n"},
		{"render's formats", []string{"render", "-o", ""}, "yaml\njson\n:4\n"},
		{"check's formats", []string{"check", "-o", "j"}, "json\n:4\n"},
		{"progress", []string{"validate", "--progress", "a"}, "auto\nalways\n:4\n"},
		{"fail-on", []string{"diff", "--fail-on", "n"}, "narrow\n:4\n"},
		{"no -f: nothing to offer", []string{"check", "--tenant", ""}, ":4\n"},
		{"a broken -f: nothing to offer", []string{"check", "-f", filepath.Join(t.TempDir(), "missing"), "--tenant", ""}, ":4\n"},
		{"stdin is the shell's, not read", []string{"check", "-f", "-", "--tenant", ""}, ":4\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := complete(t, nameAccessctl, tc.words...); got != tc.want {
				t.Errorf("__complete %q:\n got %q\nwant %q", tc.words, got, tc.want)
			}
		})
	}
	// The commands, with descriptions.
	if got := complete(t, nameAccessctl, "w"); got != "who-can\tList every user who may use a capability or act on a record, and why\n:4\n" {
		t.Errorf("__complete w: %q", got)
	}
}

// TestCompletionContexts: --context offers the kubeconfig's contexts.
func TestCompletionContexts(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: prod, context: {cluster: c, user: u}}, {name: staging, context: {cluster: c, user: u}}]
current-context: prod
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if got := complete(t, nameAccessctl, "render", "--kubeconfig", kc, "--context", ""); got != "prod\nstaging\n:4\n" {
		t.Errorf("--context: %q", got)
	}
	// A cluster that does not answer: completion gives up quietly.
	if got := complete(t, nameAccessctl, "check", "--kubeconfig", kc, "--tenant", ""); got != ":4\n" {
		t.Errorf("--tenant from an unreachable cluster: %q", got)
	}
}

// TestPluginCompleter: run as kubectl_complete-access, the binary takes
// the words after `kubectl access` as kubectl passes them and answers as
// __complete does.
func TestPluginCompleter(t *testing.T) {
	words := []string{"who-can", "-f", scenarioDir("partners"), "--tenant", "ac"}
	got := complete(t, nameCompleter, words...)
	if want := complete(t, namePlugin, words...); got != want || got != "acme\tAcme Corp\n:4\n" {
		t.Errorf("kubectl_complete-access %q: %q; __complete: %q", words, got, want)
	}
	if got := complete(t, nameCompleter, "ch"); !strings.HasPrefix(got, "check\t") {
		t.Errorf("kubectl_complete-access ch: %q", got)
	}
}

// TestCompletionScripts: accessctl completion writes each shell's script,
// which calls accessctl __complete.
func TestCompletionScripts(t *testing.T) {
	for shell, want := range map[string]string{
		"bash":       "__start_accessctl",
		"zsh":        "#compdef accessctl",
		"fish":       "complete -c accessctl",
		"powershell": "Register-ArgumentCompleter -CommandName 'accessctl'",
	} {
		r := accessctl(t, nil, "completion", shell)
		if r.code != exitOK || !strings.Contains(r.stdout, want) || !strings.Contains(r.stdout, "__complete") {
			t.Errorf("completion %s: exit %d, no %q or __complete in:\n%.300s", shell, r.code, want, r.stdout)
		}
	}
	if help := accessctl(t, nil, "--help"); !strings.Contains(help.stdout, "completion  ") {
		t.Errorf("accessctl --help does not list completion:\n%s", help.stdout)
	}
}
