package engine

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
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
		for _, imp := range f.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			for _, bad := range forbiddenImports {
				if path == bad || strings.HasPrefix(path, bad+"/") {
					t.Errorf("%s imports %s: the engine must stay pure (no clients, no I/O, no randomness)", name, path)
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "time" && (sel.Sel.Name == "Now" || sel.Sel.Name == "Since" || sel.Sel.Name == "Until") {
				t.Errorf("%s: time.%s reads the clock; the engine takes the time as an input", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
}
