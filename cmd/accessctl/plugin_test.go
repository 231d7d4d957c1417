package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tenancy-dev/access-controller/internal/testenv"
)

// plugin runs the command in-process as kubectl's plugin, kubectl-access.
func plugin(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := runAs(namePlugin, args, strings.NewReader(""), &out, &errb)
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

func TestInvokedAs(t *testing.T) {
	for arg0, want := range map[string]string{
		"accessctl":                              nameAccessctl,
		"/usr/local/bin/accessctl":               nameAccessctl,
		"bin/accessctl-v2":                       nameAccessctl,
		"/home/me/.krew/bin/kubectl-access":      namePlugin,
		"kubectl-access.exe":                     namePlugin,
		"KUBECTL-ACCESS":                         nameAccessctl,
		"/usr/local/bin/kubectl_complete-access": nameCompleter,
		"kubectl_complete-access.EXE":            nameCompleter,
	} {
		if got := invokedAs(arg0); got != want {
			t.Errorf("invokedAs(%q) = %q, want %q", arg0, got, want)
		}
	}
}

// TestPluginNames: run as kubectl-access, help, usage lines, examples and
// errors say `kubectl access`; no line of help names accessctl.
func TestPluginNames(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"check", "--help"}, {"who-can", "--help"}, {"diff", "--help"}, {"render", "--help"}, {"reach", "--help"}, {"validate", "--help"}, {"version", "--help"}} {
		r := plugin(t, args...)
		if r.code != exitOK {
			t.Fatalf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
		if strings.Contains(r.stdout, "accessctl") {
			t.Errorf("%v names accessctl:\n%s", args, r.stdout)
		}
		if !strings.Contains(r.stdout, "kubectl access") {
			t.Errorf("%v does not say kubectl access:\n%s", args, r.stdout)
		}
	}
	help := plugin(t, "check", "--help").stdout
	for _, want := range []string{
		"Usage:\n  kubectl access check [-f PATH...] --tenant T",
		"  kubectl access check -f testdata/scenarios/partners --tenant acme",
		"-n, --namespace string",
		"--as string",
		"--progress string",
		"without -f, the cluster of the current context",
	} {
		if !strings.Contains(help, want) {
			t.Errorf("kubectl access check --help has no %q:\n%s", want, help)
		}
	}
	if root := plugin(t, "--help").stdout; strings.Contains(root, "completion") {
		t.Errorf("kubectl access has a completion command (kubectl completes plugins itself):\n%s", root)
	}
	r := plugin(t, "check", "--frob")
	if r.code != exitInput || r.stderr != "error: unknown flag: --frob\nRun 'kubectl access check --help' for usage.\n" {
		t.Errorf("unknown flag: exit %d, stderr %q", r.code, r.stderr)
	}
	if v := plugin(t, "version"); v.code != exitOK || !strings.HasPrefix(v.stdout, "kubectl access ") {
		t.Errorf("version: exit %d, %q", v.code, v.stdout)
	}
	// With -f it answers offline, exactly as accessctl does.
	args := []string{"check", "-f", scenarioDir("partners"), "--tenant", "acme", "--user", "dave@agency-x.example", "--capability", "billing.access", "--explain", "--now", testNow}
	if p, a := plugin(t, args...), accessctl(t, nil, args...); p != a {
		t.Errorf("kubectl access check -f differs from accessctl check -f:\n%+v\n%+v", p, a)
	}
	// Without -f: the current context's cluster, here none.
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "missing"))
	if r := plugin(t, "validate"); r.code != exitInput || !strings.Contains(r.stderr, "without -f, kubectl access reads the cluster of the current context") {
		t.Errorf("kubectl access validate without a kubeconfig: exit %d, %q", r.code, r.stderr)
	}
	// accessctl still wants -f or a cluster flag.
	if r := accessctl(t, nil, "validate"); r.code != exitInput || !strings.Contains(r.stderr, "-f/--filename is required") {
		t.Errorf("accessctl validate: exit %d, %q", r.code, r.stderr)
	}
	if r := accessctl(t, nil, "validate", "-f", scenariosDir, "--as", "someone"); r.code != exitInput || !strings.Contains(r.stderr, "not both") {
		t.Errorf("-f with --as: exit %d, %q", r.code, r.stderr)
	}
}

// TestNamespaceFlag: -n names the tenant by its namespace, as kubectl users
// name where things are.
func TestNamespaceFlag(t *testing.T) {
	dir := scenarioDir("partners")
	byName := accessctl(t, nil, "who-can", "-f", dir, "--tenant", "acme", "--capability", "billing.access", "--now", testNow)
	byNS := accessctl(t, nil, "who-can", "-f", dir, "-n", "acme", "--capability", "billing.access", "--now", testNow)
	if byName.code != exitOK || byName != byNS {
		t.Errorf("who-can -n acme differs from --tenant acme:\n%+v\n%+v", byNS, byName)
	}
	c := accessctl(t, nil, "check", "-f", dir, "--namespace", "acme", "--user", "carol@acme.example", "--capability", "billing.access", "--now", testNow)
	if c.code != exitOK || c.stdout != "allowed\n" {
		t.Errorf("check --namespace acme: exit %d, %q %q", c.code, c.stdout, c.stderr)
	}
	reach := accessctl(t, nil, "reach", "-f", dir, "-n", "agency-x", "--now", testNow)
	if want := accessctl(t, nil, "reach", "-f", dir, "--tenant", "agency-x", "--now", testNow); reach.code != exitOK || reach != want {
		t.Errorf("reach -n agency-x differs from --tenant agency-x:\n%+v\n%+v", reach, want)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"who-can", "-n", "nowhere", "--capability", "x"}, `-n/--namespace "nowhere": no Tenant has that namespace`},
		{[]string{"who-can", "-n", "acme", "--tenant", "globex", "--capability", "x"}, `--tenant "globex" and -n/--namespace "acme" name different tenants`},
		{[]string{"reach", "-n", "nowhere"}, `-n/--namespace "nowhere": no Tenant has that namespace`},
	} {
		r := accessctl(t, nil, append(tc.args, "-f", dir)...)
		if r.code != exitInput || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, %q; want exit 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

// pluginDir holds kubectl-access and kubectl_complete-access, built once
// for the tests that run them as kubectl does.
var pluginDir = struct {
	once sync.Once
	dir  string
	err  error
}{}

// builtPlugin builds this package as kubectl-access, with
// kubectl_complete-access beside it as the Makefile installs it (a
// symbolic link; a copy on Windows), and returns their directory.
func builtPlugin(t *testing.T) string {
	t.Helper()
	pluginDir.once.Do(func() {
		dir, err := os.MkdirTemp("", "kubectl-access-")
		if err != nil {
			pluginDir.err = err
			return
		}
		pluginDir.dir = dir
		exe := ""
		if runtime.GOOS == "windows" {
			exe = ".exe"
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, namePlugin+exe), ".")
		if out, err := cmd.CombinedOutput(); err != nil {
			pluginDir.err = &buildError{out: string(out), err: err}
			return
		}
		if runtime.GOOS == "windows" {
			b, err := os.ReadFile(filepath.Join(dir, namePlugin+exe))
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, nameCompleter+exe), b, 0o755)
			}
			pluginDir.err = err
			return
		}
		pluginDir.err = os.Symlink(namePlugin, filepath.Join(dir, nameCompleter))
	})
	if pluginDir.err != nil {
		t.Fatal(pluginDir.err)
	}
	return pluginDir.dir
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + e.out }

func TestMain(m *testing.M) {
	code := m.Run()
	if pluginDir.dir != "" {
		_ = os.RemoveAll(pluginDir.dir)
	}
	os.Exit(code)
}

// kubectlBin is bin/kubectl, built from source by make controlplane. Tests
// that need it skip without it, unless make test runs them.
func kubectlBin(t *testing.T) string {
	t.Helper()
	k := filepath.Join(testenv.Root, "bin", "kubectl")
	if _, err := os.Stat(k); err != nil {
		if os.Getenv(testenv.RequireEnv) != "" {
			t.Fatalf("no %s: run make controlplane", k)
		}
		t.Skipf("no %s (make controlplane builds it)", k)
	}
	return k
}

// kubectl runs bin/kubectl with the built plugin first on PATH, and env.
func kubectl(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(kubectlBin(t), args...)
	cmd.Env = append(os.Environ(), "PATH="+builtPlugin(t)+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("kubectl %v: %v", args, err)
	}
	return r
}

// TestKubectlPlugin runs the plugin as kubectl does: kubectl plugin list
// finds it, kubectl access version and check answer (with kubectl access
// in their usage), and kubectl's completion completes its flags through
// kubectl_complete-access.
func TestKubectlPlugin(t *testing.T) {
	kubectlBin(t)
	dir := builtPlugin(t)
	noCluster := []string{"KUBECONFIG=" + filepath.Join(t.TempDir(), "none")}

	list := kubectl(t, noCluster, "plugin", "list")
	if !strings.Contains(list.stdout, filepath.Join(dir, namePlugin)) {
		t.Errorf("kubectl plugin list: exit %d, does not list %s:\n%s%s", list.code, filepath.Join(dir, namePlugin), list.stdout, list.stderr)
	}

	v := kubectl(t, noCluster, "access", "version")
	if v.code != exitOK || !strings.HasPrefix(v.stdout, "kubectl access ") || !strings.Contains(v.stdout, "(commit ") {
		t.Errorf("kubectl access version: exit %d, %q %q", v.code, v.stdout, v.stderr)
	}

	partners, _ := filepath.Abs(scenarioDir("partners"))
	check := func(user string) []string {
		return []string{"access", "check", "-f", partners, "--tenant", "acme", "--user", user, "--capability", "billing.access", "--now", testNow}
	}
	if r := kubectl(t, noCluster, check("dave@agency-x.example")...); r.code != exitNo || r.stdout != "denied\n" {
		t.Errorf("kubectl access check (a partner admin and billing): exit %d, %q %q; want denied, exit 1", r.code, r.stdout, r.stderr)
	}
	if r := kubectl(t, noCluster, check("carol@acme.example")...); r.code != exitOK || r.stdout != "allowed\n" {
		t.Errorf("kubectl access check (the super admin and billing): exit %d, %q %q; want allowed, exit 0", r.code, r.stdout, r.stderr)
	}
	if r := kubectl(t, noCluster, "access", "check", "--tenant", "acme"); r.code != exitInput || !strings.Contains(r.stderr, "Run 'kubectl access check --help' for usage.") {
		t.Errorf("kubectl access check without --user: exit %d, %q", r.code, r.stderr)
	}

	// kubectl __complete is what kubectl's completion scripts run on <TAB>.
	comp := kubectl(t, noCluster, "__complete", "access", "check", "-f", partners, "--now", testNow, "--tenant", "")
	if want := "acme\tAcme Corp\nagency-x\tAgency X\nglobex\n:4\n"; comp.stdout != want {
		t.Errorf("kubectl __complete access check --tenant '': %q, want %q (stderr %q)", comp.stdout, want, comp.stderr)
	}
	comp = kubectl(t, noCluster, "__complete", "access", "who-can", "-f", partners, "--action", "v")
	if want := "view\nviewAll\n:4\n"; comp.stdout != want {
		t.Errorf("kubectl __complete access who-can --action v: %q, want %q", comp.stdout, want)
	}
	comp = kubectl(t, noCluster, "__complete", "access", "re")
	if !strings.HasPrefix(comp.stdout, "reach\t") || !strings.Contains(comp.stdout, "render\t") {
		t.Errorf("kubectl __complete access re: %q, want reach and render", comp.stdout)
	}
}

// pluginLive is what a kubectl user runs against TestLive's converged
// cluster: kubectl access without -f (the current context of
// $KUBECONFIG), in-process and through bin/kubectl, answering as -f does;
// -n; --as and --as-group; the progress line; and completion of --tenant
// and --user from the cluster.
func pluginLive(t *testing.T, kubeconfig, now string, offline func(args ...string) result) {
	t.Helper()
	t.Setenv("KUBECONFIG", kubeconfig)
	same := func(what string, on, off result) {
		t.Helper()
		if on.code != off.code || on.stdout != off.stdout {
			t.Errorf("%s: live exit %d, offline exit %d\n--- live\n%s%s--- offline\n%s", what, on.code, off.code, on.stdout, on.stderr, off.stdout)
		}
	}
	question := []string{"--user", "teresa@northwind.example", "--action", "edit", "--type", "deals", "--owner", "jim@northwind.example", "--explain"}
	check := append([]string{"check", "--tenant", "northwind"}, question...)
	same("kubectl access check", plugin(t, append(check, "--now", now)...), offline(check...))
	same("kubectl access check -n", plugin(t, append([]string{"check", "-n", "northwind", "--now", now}, question...)...), offline(check...))
	same("kubectl access who-can -n", plugin(t, "who-can", "-n", "acme", "--capability", "billing.access", "--now", now),
		offline("who-can", "--tenant", "acme", "--capability", "billing.access"))
	if _, err := os.Stat(filepath.Join(testenv.Root, "bin", "kubectl")); err == nil {
		env := []string{"KUBECONFIG=" + kubeconfig}
		same("bin/kubectl access check", kubectl(t, env, append([]string{"access"}, append(check, "--now", now)...)...), offline(check...))
		comp := kubectl(t, env, "__complete", "access", "who-can", "-n", "north")
		if want := "northwind\ttenant northwind\n:4\n"; comp.stdout != want {
			t.Errorf("kubectl __complete access who-can -n north (live): %q, want %q", comp.stdout, want)
		}
	}

	// --as: read as someone else, who may not list; --as-group gives the
	// impersonated user a group that may.
	if r := plugin(t, "validate", "--as", "nobody@example.com"); r.code != exitInput || !strings.Contains(r.stderr, "forbidden") {
		t.Errorf("validate --as nobody: exit %d, %q; want 2 and forbidden", r.code, r.stderr)
	}
	if r := plugin(t, "validate", "--as", "nobody@example.com", "--as-group", "system:masters", "--now", now); r.code != exitOK {
		t.Errorf("validate --as nobody --as-group system:masters: exit %d, %q", r.code, r.stderr)
	}

	// The progress line: with always, each step overwrites the last and
	// the line is erased at the end, leaving stderr as without it.
	always := plugin(t, "render", "--progress=always", "--now", now)
	never := plugin(t, "render", "--progress=never", "--now", now)
	auto := plugin(t, "render", "--now", now) // stderr is a buffer: not a terminal
	lines, rest := progressLines(always.stderr)
	if always.code != exitOK || rest != never.stderr || always.stdout != never.stdout {
		t.Errorf("render --progress=always: exit %d, stderr without the progress %q, want %q", always.code, rest, never.stderr)
	}
	if strings.Contains(never.stderr, carriageReturn) || never.stderr != auto.stderr {
		t.Errorf("render --progress=never: %q; auto, not on a terminal: %q", never.stderr, auto.stderr)
	}
	if !strings.HasSuffix(always.stderr, carriageReturn+eraseLine+rest) {
		t.Errorf("render --progress=always does not erase its line before the summary: %q", always.stderr)
	}
	want := []string{"connecting to the cluster", "reading Tenants (1 of 7 kinds), 0 objects"}
	if len(lines) < 16 || !slices.Equal(lines[:2], want) ||
		!strings.HasPrefix(lines[len(lines)-2], "reading EffectivePermissions (7 of 7 kinds), ") ||
		!regexp.MustCompile(`^rendering \d+ tenants from \d+ objects$`).MatchString(lines[len(lines)-1]) {
		t.Errorf("render --progress=always showed:\n%s", strings.Join(lines, "\n"))
	}
	t.Logf("progress: %s", strings.Join(lines, " | "))

	// Completion from the cluster, as kubectl calls kubectl_complete-access.
	if got := complete(t, nameCompleter, "check", "--tenant", "north"); got != "northwind\tNorthwind Traders\n:4\n" {
		t.Errorf("kubectl_complete-access check --tenant north (live): %q", got)
	}
	if got := complete(t, nameCompleter, "check", "--tenant", "northwind", "--user", "te"); !strings.HasPrefix(got, "teresa@northwind.example\t") || !strings.HasSuffix(got, "\n:4\n") {
		t.Errorf("kubectl_complete-access check --tenant northwind --user te (live): %q", got)
	}
	if got := complete(t, nameCompleter, "check", "-n", "acme", "--owner", "c"); got != "carol@acme.example\tacme/carol\n:4\n" {
		t.Errorf("kubectl_complete-access check -n acme --owner c (live): %q", got)
	}
}
