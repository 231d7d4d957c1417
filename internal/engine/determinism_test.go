package engine_test

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/fixture"
	"github.com/tenancy-dev/access-controller/internal/manifest"
	"github.com/tenancy-dev/access-controller/internal/question/questiontest"
)

// render is the engine's whole output as bytes: EffectivePermissions and findings.
func render(t testing.TB, s *engine.Snapshot) []byte {
	t.Helper()
	res := engine.Compute(s, benchNow)
	b, err := json.Marshal(struct {
		EPs      []accessv1.EffectivePermission
		Findings []engine.Finding
	}{res.EffectivePermissions, res.Findings})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func shuffled(s *engine.Snapshot, r *rand.Rand) *engine.Snapshot {
	out := &engine.Snapshot{
		Tenants: clone(s.Tenants), Members: clone(s.Members), Roles: clone(s.Roles), PermissionSets: clone(s.PermissionSets),
		PartnerAccesses: clone(s.PartnerAccesses), VisibilityPolicies: clone(s.VisibilityPolicies), EffectivePermissions: clone(s.EffectivePermissions),
	}
	shuffle(r, out.Tenants)
	shuffle(r, out.Members)
	shuffle(r, out.Roles)
	shuffle(r, out.PermissionSets)
	shuffle(r, out.PartnerAccesses)
	shuffle(r, out.VisibilityPolicies)
	shuffle(r, out.EffectivePermissions)
	return out
}

func clone[T any](xs []T) []T { return append([]T(nil), xs...) }

func shuffle[T any](r *rand.Rand, xs []T) {
	r.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
}

func loadScenarios(t testing.TB) map[string]*engine.Snapshot {
	t.Helper()
	out := map[string]*engine.Snapshot{}
	for _, d := range questiontest.Dirs(t) {
		set, err := manifest.Load(d)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(d)] = &set.Snapshot
	}
	if len(out) == 0 {
		t.Fatal("no scenarios in testdata")
	}
	return out
}

// TestShuffledInputsGiveIdenticalBytes: the same inputs in any order give
// byte-identical output (semantics.md §5).
func TestShuffledInputsGiveIdenticalBytes(t *testing.T) {
	cases := loadScenarios(t)
	big := fixture.Tenant("scale", 500, 60, 7)
	cases["fixture-500"] = big.Snapshot()
	for name, snap := range cases {
		t.Run(name, func(t *testing.T) {
			want := render(t, snap)
			r := rand.New(rand.NewPCG(1, 2))
			for i := range 10 {
				if got := render(t, shuffled(snap, r)); !bytes.Equal(got, want) {
					t.Fatalf("shuffle %d changed the output", i)
				}
			}
		})
	}
}

// FuzzRender decodes arbitrary manifests and checks that rendering is
// deterministic, that a deactivated member is granted nothing through its
// own grants nor, as partner staff or admin, anywhere else, and that a
// PartnerAccess naming a partner that does not exist grants nothing.
func FuzzRender(f *testing.F) {
	for _, dir := range questiontest.Dirs(f) {
		var all []byte
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			all = append(append(all, b...), "\n---\n"...)
		}
		f.Add(all)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, err := manifest.Decode("fuzz.yaml", data)
		if err != nil {
			return
		}
		set, err := manifest.NewSet(objs)
		if err != nil {
			return
		}
		snap := &set.Snapshot
		want := render(t, snap)
		if got := render(t, shuffled(snap, rand.New(rand.NewPCG(3, 4)))); !bytes.Equal(got, want) {
			t.Fatal("rendering is not deterministic")
		}
		for i := range min(len(snap.Members), 6) {
			checkDeactivated(t, snap, i)
		}
		for i := range min(len(snap.PartnerAccesses), 3) {
			checkDanglingPartner(t, snap, i)
		}
	})
}

func checkDeactivated(t *testing.T, snap *engine.Snapshot, i int) {
	s := *snap
	s.Members = clone(snap.Members)
	m := s.Members[i].DeepCopy()
	m.Spec.Active = new(bool)
	s.Members[i] = m
	email := strings.ToLower(m.Spec.Email)
	res := engine.Compute(&s, benchNow)
	for _, ep := range res.EffectivePermissions {
		if ep.Spec.User != email {
			continue
		}
		for _, via := range vias(&ep.Spec) {
			v := engine.ParseVia(via).Source()
			own := ep.Namespace == m.Namespace && (v.Kind == engine.ViaAccountRole || v.Kind == engine.ViaPermissionSet)
			// Only this member is partner staff of its tenant under its name.
			staff := v.Kind == engine.ViaClientAccess && v.Member == m.Name && v.Partner == partnerOf(&s, m.Namespace)
			if own || staff {
				t.Fatalf("deactivated member %s/%s still holds %q in %s", m.Namespace, m.Name, via, ep.Namespace)
			}
		}
		if ep.Namespace == m.Namespace && ep.Spec.Partner == "" && ep.Spec.Active {
			t.Fatalf("deactivated member %s/%s has an active EffectivePermission with no partner grants", m.Namespace, m.Name)
		}
	}
}

// partnerOf is the Tenant name owning a namespace ("" when none).
func partnerOf(s *engine.Snapshot, ns string) string {
	for _, t := range s.Tenants {
		if t.NamespaceOrDefault() == ns {
			return t.Name
		}
	}
	return "\x00"
}

func checkDanglingPartner(t *testing.T, snap *engine.Snapshot, i int) {
	s := *snap
	s.PartnerAccesses = clone(snap.PartnerAccesses)
	pa := s.PartnerAccesses[i].DeepCopy()
	pa.Spec.Partner = "no-such-partner-tenant"
	s.PartnerAccesses[i] = *pa
	res := engine.Compute(&s, benchNow)
	for _, ep := range res.EffectivePermissions {
		for _, via := range vias(&ep.Spec) {
			v := engine.ParseVia(via).Source()
			named := v.Kind == engine.ViaPartnerAccess && slices.Contains(v.PartnerAccesses, pa.Name)
			if ep.Namespace == pa.Namespace && named || v.Partner == "no-such-partner-tenant" {
				t.Fatalf("PartnerAccess %s/%s names no partner but grants %q to %s", pa.Namespace, pa.Name, via, ep.Spec.User)
			}
		}
	}
}

// vias lists every reason an EffectivePermission gives.
func vias(s *accessv1.EffectivePermissionSpec) []string {
	var out []string
	for _, c := range s.CapabilitySources {
		out = append(out, c.Via)
	}
	for _, o := range s.Objects {
		for _, a := range o.ActionSources {
			out = append(out, a.Via)
		}
		for _, g := range o.Grants {
			out = append(out, g.Via...)
		}
	}
	return out
}
