package engine

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestEngineIsPure keeps the engine free of clients, I/O and the clock, so
// the controller, the webhooks and accessctl get the same answer from it
// (the same role as cluster-api's depguard rule for api/).
func TestEngineIsPure(t *testing.T) {
	forbiddenImports := []string{
		"k8s.io/client-go", "sigs.k8s.io/controller-runtime", "os", "io/ioutil", "net", "net/http",
		"math/rand", "math/rand/v2", "os/exec", "syscall",
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range clockReads(fset, f) {
			t.Errorf("%s reads the clock; the engine takes the time as an input", bad)
		}
		for _, imp := range f.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			for _, bad := range forbiddenImports {
				if path == bad || strings.HasPrefix(path, bad+"/") {
					t.Errorf("%s imports %s: the engine must stay pure (no clients, no I/O, no randomness)", name, path)
				}
			}
		}
	}
}

// clockReads are the places f reads the clock: time.Now, Since, Until or
// Tick (and NewTimer, NewTicker, After, AfterFunc, Sleep, which wait on
// it) through the package "time" under whatever name the file imports it,
// or through a dot import.
func clockReads(fset *token.FileSet, f *ast.File) []string {
	clock := map[string]bool{"Now": true, "Since": true, "Until": true, "Tick": true, "NewTimer": true,
		"NewTicker": true, "After": true, "AfterFunc": true, "Sleep": true}
	var names []string
	dot := false
	for _, imp := range f.Imports {
		if strings.Trim(imp.Path.Value, `"`) != "time" {
			continue
		}
		switch {
		case imp.Name == nil:
			names = append(names, "time")
		case imp.Name.Name == ".":
			dot = true
		case imp.Name.Name != "_":
			names = append(names, imp.Name.Name)
		}
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if x, ok := n.X.(*ast.Ident); ok && x.Obj == nil && slices.Contains(names, x.Name) && clock[n.Sel.Name] {
				out = append(out, fmt.Sprintf("%s: %s.%s", fset.Position(n.Pos()), x.Name, n.Sel.Name))
			}
		case *ast.CallExpr:
			if id, ok := n.Fun.(*ast.Ident); ok && dot && id.Obj == nil && clock[id.Name] {
				out = append(out, fmt.Sprintf("%s: %s (dot-imported time)", fset.Position(n.Pos()), id.Name))
			}
		}
		return true
	})
	return out
}

// TestClockReads: the purity test sees the clock read through the package
// name, an alias and a dot import, and not a local variable named time.
func TestClockReads(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      int
	}{
		{"plain", "package e\nimport \"time\"\nvar _ = time.Now()", 1},
		{"aliased", "package e\nimport clock \"time\"\nvar _ = clock.Now()\nvar _ = clock.Since(clock.Time{})", 2},
		{"dot", "package e\nimport . \"time\"\nvar _ = Now()", 1},
		{"the type only", "package e\nimport \"time\"\nfunc f(now time.Time) time.Duration { return now.Sub(now) }", 0},
		{"a parameter named time", "package e\ntype c struct{}\nfunc (c) Now() int { return 0 }\nfunc f(time c) int { return time.Now() }", 0},
		{"sleep", "package e\nimport t \"time\"\nfunc f() { t.Sleep(1) }", 1},
	} {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, tc.name+".go", tc.src, 0)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := clockReads(fset, f); len(got) != tc.want {
			t.Errorf("%s: %d clock reads %v, want %d", tc.name, len(got), got, tc.want)
		}
	}
}
