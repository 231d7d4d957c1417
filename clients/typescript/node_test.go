package typescript

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode"

	"github.com/tenancy-dev/access-controller/internal/testenv"
	"github.com/tenancy-dev/access-controller/pkg/check/sqlfilter"
)

var update = flag.Bool("update", false, "write test/testdata/ownerkeys.json from sqlfilter.OwnerKey")

// minNode is the oldest Node the client supports: global fetch.
const minNode = 18

// requireNode returns node's path, skipping the test when Node or npm is
// missing (or too old), failing it instead when RequireEnv is set (as
// `make test` sets it): CI must run the client's tests.
func requireNode(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = exec.LookPath("npm")
	}
	if err == nil {
		var out []byte
		if out, err = exec.Command(node, "--version").Output(); err == nil {
			major, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(string(out)), "v"), ".")
			if n, _ := strconv.Atoi(major); n < minNode {
				err = fmt.Errorf("node %s is older than %d", strings.TrimSpace(string(out)), minNode)
			}
		}
	}
	if err != nil {
		if os.Getenv(testenv.RequireEnv) != "" {
			t.Fatalf("the TypeScript client's tests need Node >= %d and npm (%v): install them (Debian: apt-get install nodejs npm)", minNode, err)
		}
		t.Skipf("no usable Node and npm (%v); %s=1 makes this a failure", err, testenv.RequireEnv)
	}
	return node
}

var (
	buildOnce sync.Once
	buildErr  error
)

// build installs the pinned devDependencies when node_modules is missing
// (npm ci, from package-lock.json) and compiles src/ and test/ into dist/.
func build(t *testing.T, node string) {
	t.Helper()
	buildOnce.Do(func() {
		if _, err := os.Stat(filepath.Join("node_modules", "typescript", "bin", "tsc")); err != nil {
			if out, err := exec.Command("npm", "ci", "--no-audit", "--no-fund").CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("npm ci: %v\n%s", err, out)
				return
			}
		}
		if err := os.RemoveAll("dist"); err != nil {
			buildErr = err
			return
		}
		if out, err := exec.Command(node, filepath.Join("node_modules", "typescript", "bin", "tsc"), "-p", ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("tsc: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}

// testFiles are the compiled test files, e2e ones or the others.
func testFiles(t *testing.T, e2e bool) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("dist", "test", "*.test.js"))
	if err != nil {
		t.Fatal(err)
	}
	files = slices.DeleteFunc(files, func(f string) bool { return strings.HasPrefix(filepath.Base(f), "e2e") != e2e })
	if len(files) == 0 {
		t.Fatalf("no compiled test files (e2e %v) in dist/test", e2e)
	}
	return files
}

var tapCount = regexp.MustCompile(`(?m)^# (tests|pass|fail|cancelled|skipped|todo) (\d+)$`)

// nodeTest runs `node --test` on files with env added, and fails unless
// every test ran and passed: a test skipped (an environment variable not
// passed on, say) fails too.
func nodeTest(t *testing.T, node string, env []string, files ...string) {
	t.Helper()
	cmd := exec.Command(node, append([]string{"--test", "--test-reporter=tap"}, files...)...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	counts := map[string]int{}
	for _, m := range tapCount.FindAllStringSubmatch(out.String(), -1) {
		counts[m[1]], _ = strconv.Atoi(m[2])
	}
	if err != nil || counts["pass"] == 0 || counts["fail"]+counts["cancelled"]+counts["skipped"]+counts["todo"] > 0 {
		t.Fatalf("node --test %s: %v, %v\n%s", strings.Join(files, " "), err, counts, out.String())
	}
	t.Logf("node --test %s: %d passed", strings.Join(files, " "), counts["pass"])
}

// TestNodeUnit builds the client and runs its unit tests: requests and
// error mapping against a fake server, and filters as SQL in SQLite.
func TestNodeUnit(t *testing.T) {
	node := requireNode(t)
	build(t, node)
	nodeTest(t, node, nil, testFiles(t, false)...)
}

const ownerKeysFile = "test/testdata/ownerkeys.json"

// TestOwnerKeys holds test/testdata/ownerkeys.json, which the client's
// ownerKey is tested against, to sqlfilter.OwnerKey: every code point
// whose simple case-folding orbit has more than one member, with the one
// OwnerKey writes for it. -update writes it.
func TestOwnerKeys(t *testing.T) {
	var pairs [][2]rune
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if unicode.SimpleFold(r) != r {
			pairs = append(pairs, [2]rune{r, []rune(sqlfilter.OwnerKey(string(r)))[0]})
		}
	}
	var b bytes.Buffer
	b.WriteString("[\n")
	for i, p := range pairs {
		sep := ",\n"
		if i == len(pairs)-1 {
			sep = "\n"
		}
		fmt.Fprintf(&b, "[%d,%d]%s", p[0], p[1], sep)
	}
	b.WriteString("]\n")
	if *update {
		if err := os.WriteFile(ownerKeysFile, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(ownerKeysFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		var old [][2]rune
		_ = json.Unmarshal(got, &old)
		t.Errorf("%s (%d code points) is not sqlfilter.OwnerKey's (%d): run go test ./clients/typescript -run TestOwnerKeys -update", ownerKeysFile, len(old), len(pairs))
	}
}
