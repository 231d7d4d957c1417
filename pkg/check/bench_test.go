package check_test

// The benchmarks live in an external test package: they import the engine,
// which may one day import this package.

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/fixture"
	"github.com/tenancy-dev/access-controller/pkg/check"
)

// benchNow is the fixed time of every benchmark computation.
var benchNow = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

var sizes = []struct{ users, roles int }{{1000, 100}, {10000, 1000}}

// world is a computed fixture tenant.
type world struct {
	objs   fixture.Objects
	result *engine.Result
	eps    []accessv1.EffectivePermission
}

var (
	worldsMu sync.Mutex
	worlds   = map[[2]int]*world{}
)

// computeWorld generates and computes a tenant once per size: the engine is
// the slow part, and every benchmark of one size reads the same world.
func computeWorld(tb testing.TB, users, roles int) *world {
	tb.Helper()
	worldsMu.Lock()
	defer worldsMu.Unlock()
	key := [2]int{users, roles}
	if w := worlds[key]; w != nil {
		return w
	}
	o := fixture.Tenant("bench", users, roles, 1)
	res := engine.Compute(o.Snapshot(), benchNow)
	w := &world{objs: o, result: res, eps: res.EffectivePermissions}
	worlds[key] = w
	return w
}

// question is one Action call, or one Functional call about rec.Type.
type question struct {
	p          *check.Permissions
	action     accessv1.Action
	rec        check.Record
	functional bool
}

// ask asks q.
func (q *question) ask() check.Decision {
	if q.functional {
		return q.p.Functional(q.action, q.rec.Type)
	}
	return q.p.Action(q.action, q.rec)
}

// numQuestions is a power of two, so the loop indexes with a mask.
const numQuestions = 4096

// questions builds a deterministic mix of questions over real viewers,
// owners and types: mostly view and edit; a quarter about the viewer's own
// records, a tenth about records of its subordinates, the rest about anyone's;
// mostly about types the viewer has an entry for; some functional questions,
// a few records of non-members, with no owner and of an unknown type. The
// questions ask compiled[i] about w.eps[i].
func questions(w *world, compiled []*check.Permissions) []question {
	rng := rand.New(rand.NewPCG(1, 2))
	types := append(slices.Clone(fixture.ObjectTypes), "custom-objects")
	actions := []accessv1.Action{
		accessv1.ActionView, accessv1.ActionView, accessv1.ActionView, accessv1.ActionView,
		accessv1.ActionEdit, accessv1.ActionEdit, accessv1.ActionCreate, accessv1.ActionDelete,
		accessv1.ActionExport, accessv1.ActionViewAll, accessv1.ActionModifyAll,
	}
	byRole := map[string][]string{} // role → member e-mails, in member order
	for _, m := range w.objs.Members {
		byRole[m.Spec.Role] = append(byRole[m.Spec.Role], m.Spec.Email)
	}
	tenant := w.objs.Tenants[0].Name
	qs := make([]question, numQuestions)
	for i := range qs {
		q := &qs[i]
		v := rng.IntN(len(compiled))
		spec := &w.eps[v].Spec
		q.p = compiled[v]
		q.action = actions[rng.IntN(len(actions))]
		// Applications mostly ask about types the user works with.
		q.rec.Type = types[rng.IntN(len(types))]
		if len(spec.Objects) > 0 && rng.IntN(5) > 0 {
			if t := spec.Objects[rng.IntN(len(spec.Objects))].Type; t != accessv1.AllTypes {
				q.rec.Type = t
			}
		}
		switch n := rng.IntN(100); {
		case n < 3: // functional
			q.functional = true
		case n < 5: // a record with no owner
		case n < 7: // someone who is not a member
			q.rec.Owner = fmt.Sprintf("guest%d@elsewhere.example", i)
		case n < 32:
			q.rec.Owner = spec.User
		case n < 42 && len(spec.Subordinates) > 0:
			if ms := byRole[spec.Subordinates[rng.IntN(len(spec.Subordinates))].Role]; len(ms) > 0 {
				q.rec.Owner = ms[rng.IntN(len(ms))]
				break
			}
			fallthrough
		default:
			q.rec.Owner = w.objs.Members[rng.IntN(len(w.objs.Members))].Spec.Email
		}
		if q.rec.Owner != "" {
			o := w.result.RecordOwner(tenant, q.rec.Owner)
			q.rec.OwnerRole, q.rec.OwnerActive = o.Role, o.Active
		}
	}
	return qs
}

var sink check.Decision

func BenchmarkAction(b *testing.B) {
	for _, size := range sizes {
		for _, c := range compilers {
			b.Run(fmt.Sprintf("users=%d,roles=%d/%s", size.users, size.roles, c.name), func(b *testing.B) {
				w := computeWorld(b, size.users, size.roles)
				if len(w.eps) == 0 {
					b.Skip("engine returned no EffectivePermissions")
				}
				ps, _ := compileAll(w, c.new)
				qs := questions(w, ps)
				allowed := 0
				for i := range qs {
					if qs[i].ask().Allowed {
						allowed++
					}
				}
				b.ReportAllocs()
				i := 0
				cpu := cpuTime()
				for b.Loop() {
					sink = qs[i&(numQuestions-1)].ask()
					i++
				}
				// After the loop: b.Loop's first call resets the timer, which
				// drops metrics reported before it.
				b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
				b.ReportMetric(float64(allowed)/numQuestions, "allowed-share")
			})
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	for _, size := range sizes {
		for _, c := range compilers {
			b.Run(fmt.Sprintf("users=%d,roles=%d/%s", size.users, size.roles, c.name), func(b *testing.B) {
				w := computeWorld(b, size.users, size.roles)
				if len(w.eps) == 0 {
					b.Skip("engine returned no EffectivePermissions")
				}
				st := epSizeStats(w.eps)
				compile := c.new(w)
				b.ReportAllocs()
				var p *check.Permissions
				i := 0
				for b.Loop() {
					p = compile(&w.eps[i%len(w.eps)].Spec)
					i++
				}
				_ = p
				b.ReportMetric(st.MeanBytes, "json-bytes/EP")
				b.ReportMetric(st.MeanGrants, "grants/EP")
			})
		}
	}
}

// epStats summarises the size of a set of EffectivePermissions.
type epStats struct {
	EPs                        int
	MeanBytes, MaxBytes        float64 // JSON encoding of the spec
	MeanEntries, MaxEntries    float64 // objects entries
	MeanGrants, MaxGrants      float64 // record grants over all entries
	MeanSubordinates, MaxSubs  float64
	TotalBytes                 int
	LargestUser, LargestTenant string
}

// epSizeStats measures EP sizes: what the controller writes to the API
// server per user, and what Compile indexes.
func epSizeStats(eps []accessv1.EffectivePermission) epStats {
	st := epStats{EPs: len(eps)}
	if len(eps) == 0 {
		return st
	}
	for i := range eps {
		s := &eps[i].Spec
		data, err := json.Marshal(s)
		if err != nil {
			panic(err) // an EP spec always encodes
		}
		grants := 0
		for _, o := range s.Objects {
			grants += len(o.Grants)
		}
		n := float64(len(data))
		st.TotalBytes += len(data)
		st.MeanBytes += n
		if n > st.MaxBytes {
			st.MaxBytes, st.LargestUser, st.LargestTenant = n, s.User, s.Tenant
		}
		st.MeanEntries += float64(len(s.Objects))
		st.MaxEntries = max(st.MaxEntries, float64(len(s.Objects)))
		st.MeanGrants += float64(grants)
		st.MaxGrants = max(st.MaxGrants, float64(grants))
		st.MeanSubordinates += float64(len(s.Subordinates))
		st.MaxSubs = max(st.MaxSubs, float64(len(s.Subordinates)))
	}
	n := float64(len(eps))
	st.MeanBytes /= n
	st.MeanEntries /= n
	st.MeanGrants /= n
	st.MeanSubordinates /= n
	return st
}

// TestRealEPs asks the question mix of the benchmarks against EPs the engine
// computed from a small fixture tenant: no decision allocates, every one
// says why, a record with no owner is a non-member's, and a SuperAdmin may
// edit any record of any type.
func TestRealEPs(t *testing.T) {
	w := computeWorld(t, 300, 30)
	if len(w.eps) == 0 {
		t.Skip("engine returned no EffectivePermissions")
	}
	st := epSizeStats(w.eps)
	t.Logf("EP sizes: %+v", st)
	ps, _ := compileAll(w, compilers[0].new)
	qs := questions(w, ps)
	for i := range qs {
		if d := qs[i].ask(); len(d.Reasons) == 0 {
			t.Fatalf("question %d: no reasons: %+v", i, d)
		}
	}
	if n := testing.AllocsPerRun(10, func() {
		for i := range qs {
			sink = qs[i].ask()
		}
	}); n != 0 {
		t.Errorf("Action over real EPs allocates %v times per %d questions", n, len(qs))
	}
	// A record with no owner gets exactly what a non-member's record gets,
	// from every EP the engine writes, and never more than the functional
	// question allows.
	for i := range qs {
		q := &qs[i]
		noOwner := check.Record{Type: q.rec.Type, Visibility: q.rec.Visibility, Field: q.rec.Field}
		stranger := noOwner
		stranger.Owner = "stranger@elsewhere.example"
		d, s, f := q.p.Action(q.action, noOwner), q.p.Action(q.action, stranger), q.p.Functional(q.action, q.rec.Type)
		if d.Allowed != s.Allowed || d.Access != s.Access {
			t.Errorf("question %d: %s %s with no owner: %+v; a non-member's: %+v", i, q.action, q.rec.Type, d, s)
		}
		if d.Allowed && !f.Allowed {
			t.Errorf("question %d: %s %s with no owner allowed, functionally denied: %+v", i, q.action, q.rec.Type, f)
		}
	}
	super := w.result.Lookup(w.objs.Tenants[0].Name, "u1@bench.example")
	if super == nil {
		t.Fatal("no EP for the first SuperAdmin")
	}
	p := check.Compile(&super.Spec)
	for _, typ := range fixture.ObjectTypes {
		for _, rec := range []check.Record{{Type: typ, Owner: "u100@bench.example"}, {Type: typ}} {
			if d := p.Action(accessv1.ActionEdit, rec); !d.Allowed || d.Access != accessv1.AccessReadWrite {
				t.Errorf("SuperAdmin edit %+v: %+v\n%q", rec, d, p.Explain(accessv1.ActionEdit, rec))
			}
		}
	}
}

// harnessQuestions are numQuestions uniformly random record questions over
// the whole tenant, as the scale harness asks them: a random user (any EP),
// a random owner among all members (inactive ones included) or, one time in
// twenty, a non-member, a random type of the fixture and a random action.
func harnessQuestions(w *world, compiled []*check.Permissions) []question {
	return harnessQuestionsOf(w, compiled, len(compiled))
}

// harnessQuestionsOf are harnessQuestions asked by users drawn from the
// first asking of compiled only.
func harnessQuestionsOf(w *world, compiled []*check.Permissions, asking int) []question {
	rng := rand.New(rand.NewPCG(3, 4))
	tenant := w.objs.Tenants[0].Name
	qs := make([]question, numQuestions)
	for i := range qs {
		q := &qs[i]
		q.p = compiled[rng.IntN(asking)]
		q.action = actionNames[rng.IntN(len(actionNames))]
		q.rec.Type = fixture.ObjectTypes[rng.IntN(len(fixture.ObjectTypes))]
		if rng.IntN(20) == 0 {
			q.rec.Owner = fmt.Sprintf("guest%d@elsewhere.example", rng.IntN(1000))
			continue
		}
		q.rec.Owner = w.objs.Members[rng.IntN(len(w.objs.Members))].Spec.Email
		o := w.result.RecordOwner(tenant, q.rec.Owner)
		q.rec.OwnerRole, q.rec.OwnerActive = o.Role, o.Active
	}
	return qs
}

// actionNames are the seven actions.
var actionNames = []accessv1.Action{
	accessv1.ActionView, accessv1.ActionCreate, accessv1.ActionEdit, accessv1.ActionDelete,
	accessv1.ActionExport, accessv1.ActionViewAll, accessv1.ActionModifyAll,
}

// compileAll compiles every EP of w with newCompile's function, and
// measures the heap they hold once compiled, with what they share (live
// bytes after a GC, the specs excluded).
func compileAll(w *world, newCompile func(*world) func(*accessv1.EffectivePermissionSpec) *check.Permissions) (ps []*check.Permissions, heapBytes uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	compile := newCompile(w)
	ps = make([]*check.Permissions, len(w.eps))
	for i := range w.eps {
		ps[i] = compile(&w.eps[i].Spec)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(ps)
	return ps, after.HeapAlloc - min(before.HeapAlloc, after.HeapAlloc)
}

// compilers are the two ways to compile a tenant's EPs: each alone, and
// with one check.Compiler for the tenant (prepared with all of them).
var compilers = []struct {
	name string
	new  func(*world) func(*accessv1.EffectivePermissionSpec) *check.Permissions
}{
	{"Compile", func(*world) func(*accessv1.EffectivePermissionSpec) *check.Permissions { return check.Compile }},
	{"Compiler", func(w *world) func(*accessv1.EffectivePermissionSpec) *check.Permissions {
		specs := make([]*accessv1.EffectivePermissionSpec, len(w.eps))
		for i := range w.eps {
			specs[i] = &w.eps[i].Spec
		}
		return check.NewCompiler(specs...).Compile
	}},
}

// BenchmarkDecide is the scale harness: every EP of the tenant compiled,
// numQuestions uniformly random record questions (harnessQuestions), Action
// in a loop. It reports the compiled heap per EP and in all (the Compiler's
// tables included): a decision should cost the same at 1k and 10k users.
func BenchmarkDecide(b *testing.B) {
	for _, size := range sizes {
		for _, c := range compilers {
			b.Run(fmt.Sprintf("users=%d,roles=%d/%s", size.users, size.roles, c.name), func(b *testing.B) {
				w := computeWorld(b, size.users, size.roles)
				if len(w.eps) == 0 {
					b.Skip("engine returned no EffectivePermissions")
				}
				ps, heap := compileAll(w, c.new)
				qs := harnessQuestions(w, ps)
				b.ReportAllocs()
				i := 0
				cpu := cpuTime()
				for b.Loop() {
					q := &qs[i&(numQuestions-1)]
					sink = q.p.Action(q.action, q.rec)
					i++
				}
				b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
				b.ReportMetric(float64(heap)/float64(len(ps)), "heap-B/EP")
				b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
			})
		}
	}
}

// TestRealEPsShared asks the questions of the benchmarks, the harness's and
// the mix, of every EP the engine computes for generated tenants, compiled
// alone and by a Compiler of the tenant, and of the reading pkg/check had
// before either (check.RefCompile): every decision is the same, reasons
// included, and none allocates.
func TestRealEPsShared(t *testing.T) {
	sizes := [][2]int{{300, 30}, {1000, 100}}
	if testing.Short() {
		sizes = sizes[:1]
	}
	for _, size := range sizes {
		w := computeWorld(t, size[0], size[1])
		if len(w.eps) == 0 {
			t.Skip("engine returned no EffectivePermissions")
		}
		plain, _ := compileAll(w, compilers[0].new)
		shared, _ := compileAll(w, compilers[1].new)
		index := map[*check.Permissions]int{}
		for i, p := range plain {
			index[p] = i
		}
		qs := append(harnessQuestions(w, plain), questions(w, plain)...)
		for i := range qs {
			q := &qs[i]
			k := index[q.p]
			ref := check.RefCompile(&w.eps[k].Spec)
			want, got, gotShared := ref.Action(q.action, q.rec), plain[k].Action(q.action, q.rec), shared[k].Action(q.action, q.rec)
			if !sameDecision(got, want) || !sameDecision(gotShared, want) {
				t.Fatalf("%d/%d, %s: %s %+v: Compile %+v, Compiler %+v, the reference %+v", size[0], size[1], w.eps[k].Spec.User, q.action, q.rec, got, gotShared, want)
			}
			if got, want := shared[k].Functional(q.action, q.rec.Type), ref.Functional(q.action, q.rec.Type); !sameDecision(got, want) {
				t.Fatalf("%s: Functional(%s, %s) %+v, the reference %+v", w.eps[k].Spec.User, q.action, q.rec.Type, got, want)
			}
		}
		for _, ps := range [][]*check.Permissions{plain, shared} {
			if n := testing.AllocsPerRun(5, func() {
				for i := range qs {
					q := &qs[i]
					sink = ps[index[q.p]].Action(q.action, q.rec)
				}
			}); n != 0 {
				t.Errorf("%d/%d: %v allocations per pass", size[0], size[1], n)
			}
		}
	}
}

func sameDecision(a, b check.Decision) bool {
	return a.Allowed == b.Allowed && a.Access == b.Access && slices.Equal(a.Reasons, b.Reasons)
}

// BenchmarkLookupDecide is a decision as an application makes it, and as
// hack/anchorbench times it: the user's compiled EP looked up in a map by
// tenant and lowercase user (one string per question, as a request brings
// it), then Action, over numQuestions harness questions each asked by a
// random user. "decide" asks the same questions with the compiled EP in
// hand. Both report CPU time per decision and how many distinct users a
// pass of the questions asks (about 1,000 at 1k users, 3,400 at 10k).
// "asked=500" draws the users from 500 of them only: the tenant's size
// without the larger set of users asked, which is what the lookup's cost
// follows (docs/performance.md).
func BenchmarkLookupDecide(b *testing.B) {
	for _, size := range sizes {
		w := computeWorld(b, size.users, size.roles)
		if len(w.eps) == 0 {
			b.Skip("engine returned no EffectivePermissions")
		}
		ps, _ := compileAll(w, compilers[1].new)
		userKey := func(spec *accessv1.EffectivePermissionSpec) string {
			return spec.Tenant + "/" + strings.ToLower(spec.User)
		}
		byKey := make(map[string]*check.Permissions, len(ps))
		keyOf := make(map[*check.Permissions]*accessv1.EffectivePermissionSpec, len(ps))
		for i, p := range ps {
			byKey[userKey(&w.eps[i].Spec)] = p
			keyOf[p] = &w.eps[i].Spec
		}
		for _, asking := range []int{len(ps), 500} {
			qs := harnessQuestionsOf(w, ps, asking)
			keys := make([]string, len(qs))
			distinct := map[*check.Permissions]bool{}
			for i := range qs {
				keys[i] = userKey(keyOf[qs[i].p])
				distinct[qs[i].p] = true
			}
			name := fmt.Sprintf("users=%d,roles=%d", size.users, size.roles)
			if asking < len(ps) {
				name += fmt.Sprintf(",asked=%d", asking)
			}
			run := func(how string, ask func(i int) check.Decision) {
				b.Run(name+"/"+how, func(b *testing.B) {
					b.ReportAllocs()
					i := 0
					cpu := cpuTime()
					for b.Loop() {
						sink = ask(i & (numQuestions - 1))
						i++
					}
					b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
					b.ReportMetric(float64(len(distinct)), "users/pass")
				})
			}
			run("lookup+decide", func(i int) check.Decision {
				q := &qs[i]
				return byKey[keys[i]].Action(q.action, q.rec)
			})
			run("decide", func(i int) check.Decision {
				q := &qs[i]
				return q.p.Action(q.action, q.rec)
			})
		}
	}
}
