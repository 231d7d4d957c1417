package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/tenancy-dev/access-controller/internal/testenv"
)

// krewPlugin is krew's index.krew.googlecontainertools.github.com/v1alpha2
// Plugin, the fields krew reads (sigs.k8s.io/krew/pkg/index's types, which
// would bring krew's dependencies into go.mod). Decoded strictly, a field
// krew does not know fails the test.
type krewPlugin struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string         `json:"version"`
		ShortDescription string         `json:"shortDescription"`
		Description      string         `json:"description"`
		Caveats          string         `json:"caveats,omitempty"`
		Homepage         string         `json:"homepage,omitempty"`
		Platforms        []krewPlatform `json:"platforms"`
	} `json:"spec"`
}

type krewPlatform struct {
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
	URI      string                `json:"uri"`
	Sha256   string                `json:"sha256"`
	Files    []struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"files,omitempty"`
	Bin string `json:"bin"`
}

var (
	krewDir = filepath.Join(testenv.Root, "dist", "krew")
	// semver is krew's version rule: a semantic version with a leading v.
	semver    = regexp.MustCompile(`^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
	sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

const releases = "https://github.com/tenancy-dev/access-controller/releases/download/"

// krewPlatforms are dist/krew/platforms, the os/arch pairs released.
func krewPlatforms(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(krewDir, "platforms"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

func readKrewManifest(t *testing.T, path string) krewPlugin {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p krewPlugin
	if err := yaml.UnmarshalStrict(b, &p); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return p
}

// checkKrewManifest holds the manifest to what krew and its index require:
// the kind, a name matching the file, the descriptions, and for every
// released os/arch exactly one platform, whose archive is the release's
// and whose bin is kubectl-access. version and sha256 are checked by the
// caller: placeholders in the template, values once rendered.
func checkKrewManifest(t *testing.T, p krewPlugin, version func(string) string) {
	t.Helper()
	if p.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || p.Kind != "Plugin" {
		t.Errorf("apiVersion %q, kind %q", p.APIVersion, p.Kind)
	}
	if p.Metadata.Name != "access" {
		t.Errorf("metadata.name %q: krew installs the plugin as kubectl-<name>, and the file is access.yaml", p.Metadata.Name)
	}
	if n := len(p.Spec.ShortDescription); n == 0 || n > 50 {
		t.Errorf("shortDescription: %d characters, want 1 to 50 (krew search shows it on one line)", n)
	}
	if strings.TrimSpace(p.Spec.Description) == "" || !strings.HasPrefix(p.Spec.Homepage, "https://") {
		t.Errorf("description or homepage missing")
	}
	if !strings.Contains(p.Spec.Caveats, "kubectl_complete-access") {
		t.Errorf("caveats do not say how to install kubectl_complete-access")
	}
	released := krewPlatforms(t)
	if len(p.Spec.Platforms) != len(released) {
		t.Errorf("%d platforms, want %d (dist/krew/platforms)", len(p.Spec.Platforms), len(released))
	}
	for _, osArch := range released {
		goos, arch, _ := strings.Cut(osArch, "/")
		set := labels.Set{"os": goos, "arch": arch}
		var matching []krewPlatform
		for i, pl := range p.Spec.Platforms {
			if pl.Selector == nil {
				t.Fatalf("platforms[%d]: no selector", i)
			}
			sel, err := metav1.LabelSelectorAsSelector(pl.Selector)
			if err != nil {
				t.Fatalf("platforms[%d].selector: %v", i, err)
			}
			if sel.Matches(set) {
				matching = append(matching, pl)
			}
		}
		if len(matching) != 1 {
			t.Errorf("%s: %d platforms match, want exactly 1", osArch, len(matching))
			continue
		}
		pl := matching[0]
		v := version(p.Spec.Version)
		if want := fmt.Sprintf("%s%s/kubectl-access_%s_%s_%s.tar.gz", releases, v, v, goos, arch); pl.URI != want {
			t.Errorf("%s: uri %q, want %q", osArch, pl.URI, want)
		}
		bin := "kubectl-access"
		if goos == "windows" {
			bin += ".exe"
		}
		if pl.Bin != bin {
			t.Errorf("%s: bin %q, want %q: krew links kubectl-access to it", osArch, pl.Bin, bin)
		}
		for _, f := range pl.Files {
			if f.From == "" || f.To == "" {
				t.Errorf("%s: a files entry without from or to", osArch)
			}
		}
	}
}

// TestKrewManifest: dist/krew/access.yaml is a krew Plugin with a
// placeholder for the version and each archive's sha256, and render.sh
// fills them, at release, from the archives (here stand-ins), into a
// manifest krew takes.
func TestKrewManifest(t *testing.T) {
	tmpl := readKrewManifest(t, filepath.Join(krewDir, "access.yaml"))
	if tmpl.Spec.Version != "${VERSION}" {
		t.Errorf("version %q, want the placeholder ${VERSION}", tmpl.Spec.Version)
	}
	checkKrewManifest(t, tmpl, func(string) string { return "${VERSION}" })
	for _, pl := range tmpl.Spec.Platforms {
		goos, arch := pl.Selector.MatchLabels["os"], pl.Selector.MatchLabels["arch"]
		if want := "${SHA256_" + strings.ToUpper(goos+"_"+arch) + "}"; pl.Sha256 != want {
			t.Errorf("%s/%s: sha256 %q, want the placeholder %s", goos, arch, pl.Sha256, want)
		}
	}

	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash to run render.sh")
	}
	dir := t.TempDir()
	const version = "v1.4.0"
	sums := map[string]string{}
	for _, osArch := range krewPlatforms(t) {
		name := fmt.Sprintf("kubectl-access_%s_%s.tar.gz", version, strings.ReplaceAll(osArch, "/", "_"))
		content := []byte("stand-in for " + name)
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(content)
		sums[releases+version+"/"+name] = hex.EncodeToString(sum[:])
	}
	render := func(version string) ([]byte, error) {
		return exec.Command("bash", filepath.Join(krewDir, "render.sh"), version, dir).CombinedOutput()
	}
	if out, err := render(version); err != nil {
		t.Fatalf("render.sh: %v\n%s", err, out)
	}
	path := filepath.Join(dir, "access.yaml")
	if b, _ := os.ReadFile(path); strings.Contains(string(b), "${") {
		t.Errorf("render.sh left a placeholder:\n%s", b)
	}
	rendered := readKrewManifest(t, path)
	if !semver.MatchString(rendered.Spec.Version) || rendered.Spec.Version != version {
		t.Errorf("rendered version %q, want %s", rendered.Spec.Version, version)
	}
	checkKrewManifest(t, rendered, func(v string) string { return v })
	for _, pl := range rendered.Spec.Platforms {
		if !sha256Hex.MatchString(pl.Sha256) || pl.Sha256 != sums[pl.URI] {
			t.Errorf("%s: sha256 %q, want the archive's %q", pl.URI, pl.Sha256, sums[pl.URI])
		}
	}

	// What krew would refuse, render.sh refuses.
	if out, err := render("1.4"); err == nil || !strings.Contains(string(out), "semantic version with a leading v") {
		t.Errorf("render.sh 1.4: %v, %s", err, out)
	}
	if out, err := render("v9.9.9"); err == nil || !strings.Contains(string(out), "no "+filepath.Join(dir, "kubectl-access_v9.9.9_linux_amd64.tar.gz")) {
		t.Errorf("render.sh without the archives: %v, %s", err, out)
	}
}
