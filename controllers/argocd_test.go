package controllers_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/testenv"
)

// argoHealth runs config/argocd/health.lua on an object as Argo CD runs a
// resource health customization: the object as the global obj (maps and
// lists as Lua tables), with gopher-lua, the interpreter Argo CD embeds.
func argoHealth(t *testing.T, obj map[string]any) (health, message string) {
	t.Helper()
	script, err := os.ReadFile(filepath.Join(testenv.Root, "config", "argocd", "health.lua"))
	if err != nil {
		t.Fatal(err)
	}
	l := lua.NewState(lua.Options{SkipOpenLibs: false})
	defer l.Close()
	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(string(script)); err != nil {
		t.Fatalf("health.lua: %v", err)
	}
	ret, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		t.Fatalf("health.lua returned %v, want a table", l.Get(-1))
	}
	return ret.RawGetString("status").String(), ret.RawGetString("message").String()
}

func toLua(l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case map[string]any:
		t := l.NewTable()
		for k, x := range v {
			t.RawSetString(k, toLua(l, x))
		}
		return t
	case []any:
		t := l.NewTable()
		for _, x := range v {
			t.Append(toLua(l, x))
		}
		return t
	case string:
		return lua.LString(v)
	case bool:
		return lua.LBool(v)
	case int64:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case nil:
		return lua.LNil
	}
	return lua.LString("")
}

// argoFor is the Argo CD health that matches a kstatus status.
var argoFor = map[status.Status]string{
	status.CurrentStatus:    "Healthy",
	status.InProgressStatus: "Progressing",
	status.FailedStatus:     "Degraded",
}

// TestArgoCDHealth: the Lua health check on each case of the table, and
// argocd-cm.yaml holds exactly that script for every kind.
func TestArgoCDHealth(t *testing.T) {
	cond := func(typ, st, msg string) map[string]any {
		return map[string]any{"type": typ, "status": st, "reason": "R", "message": msg}
	}
	obj := func(generation int64, st map[string]any) map[string]any {
		o := map[string]any{"metadata": map[string]any{"name": "x", "generation": generation}}
		if st != nil {
			o["status"] = st
		}
		return o
	}
	for _, tc := range []struct {
		name          string
		obj           map[string]any
		health, words string
	}{
		{"no status yet", obj(1, nil), "Progressing", "waiting"},
		{"the default status: not looked at", obj(1, map[string]any{"observedGeneration": int64(0)}), "Progressing", "observed generation 0 of 1"},
		{"an older generation looked at", obj(3, map[string]any{"observedGeneration": int64(2),
			"conditions": []any{cond("Ready", "True", "fine")}}), "Progressing", "2 of 3"},
		{"ready", obj(2, map[string]any{"observedGeneration": int64(2),
			"conditions": []any{cond("Ready", "True", "the member's grants are in force"), cond("Reconciling", "False", ""), cond("Stalled", "False", "")}}),
			"Healthy", "grants are in force"},
		{"waiting for an input", obj(1, map[string]any{"observedGeneration": int64(1),
			"conditions": []any{cond("Ready", "False", "spec.role: missing"), cond("Reconciling", "True", "spec.role: missing"), cond("Stalled", "False", "")}}),
			"Progressing", "spec.role: missing"},
		{"stalled", obj(1, map[string]any{"observedGeneration": int64(1),
			"conditions": []any{cond("Ready", "False", "cycle"), cond("Reconciling", "False", ""), cond("Stalled", "True", "spec.reportsTo: cycle")}}),
			"Degraded", "cycle"},
		{"an EffectivePermission kept while its inputs cannot be read", obj(4, map[string]any{"observedGeneration": int64(4),
			"conditions": []any{cond("Ready", "Unknown", "the inputs could not be read")}}), "Progressing", "could not be read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			health, msg := argoHealth(t, tc.obj)
			if health != tc.health || !strings.Contains(msg, tc.words) {
				t.Errorf("health %s (%q), want %s with %q", health, msg, tc.health, tc.words)
			}
		})
	}

	script, err := os.ReadFile(filepath.Join(testenv.Root, "config", "argocd", "health.lua"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(testenv.Root, "config", "argocd", "argocd-cm.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cm struct{ Data map[string]string }
	if err := yaml.Unmarshal(b, &cm); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{accessv1.KindTenant, accessv1.KindMember, accessv1.KindRole, accessv1.KindPermissionSet,
		accessv1.KindPartnerAccess, accessv1.KindVisibilityPolicy, accessv1.KindEffectivePermission} {
		key := "resource.customizations.health." + accessv1.GroupVersion.Group + "_" + kind
		if got := cm.Data[key]; got != string(script) {
			t.Errorf("argocd-cm.yaml %s is not config/argocd/health.lua (regenerate it)", key)
		}
	}
	if len(cm.Data) != 7 {
		t.Errorf("argocd-cm.yaml has %d keys, want one per kind (7)", len(cm.Data))
	}
}

// argoAgrees checks the Lua health check says what kstatus says of a live
// object.
func argoAgrees(t *testing.T, u *unstructured.Unstructured, st status.Status) {
	t.Helper()
	if health, msg := argoHealth(t, u.Object); health != argoFor[st] {
		t.Errorf("%s %s: Argo CD health %s (%s), kstatus %s (want %s)", u.GetKind(), u.GetName(), health, msg, st, argoFor[st])
	}
}
