package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/controllers"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/fixture"
	"github.com/tenancy-dev/access-controller/internal/gather"
	"github.com/tenancy-dev/access-controller/internal/testenv"
)

// TestScale is the `make bench` scale run (set ACCESS_CONTROLLER_SCALE=1):
// a cold converge of 1k and 5k members in tenants of 500, timed against
// creating as many ConfigMaps on the same API server in the same run, and
// against the floor: the same EffectivePermissions and statuses sent
// directly, with no controller. The controller's writes are counted and the
// process's memory read at the end. It reports numbers
// (docs/performance.md); it asserts correctness only.
func TestScale(t *testing.T) {
	if os.Getenv("ACCESS_CONTROLLER_SCALE") == "" {
		t.Skip("set ACCESS_CONTROLLER_SCALE=1 (make bench) to run the scale run")
	}
	warmUp(t)
	t.Run("requests", requestCosts)
	sizes := []int{1000, 5000}
	if s := os.Getenv("ACCESS_CONTROLLER_SCALE_MEMBERS"); s != "" {
		sizes = nil
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n%500 != 0 {
				t.Fatalf("ACCESS_CONTROLLER_SCALE_MEMBERS=%q: want multiples of 500, comma-separated", s)
			}
			sizes = append(sizes, n)
		}
	}
	for _, members := range sizes {
		t.Run(fmt.Sprintf("members=%d", members), func(t *testing.T) {
			tenants := members / 500
			baseline := createConfigMaps(t, fmt.Sprintf("baseline-%d", members), members)

			all := scaleTenants(t, fmt.Sprintf("scale-%d", members), tenants)
			createParallel(t, all)
			heapBefore := heapInUse()
			phasesBefore := passPhases(t)
			stopProfile := cpuProfile(t, fmt.Sprintf("-%d", members))
			start := time.Now()
			m := startManagerWith(t, controllers.Options{Now: time.Now, Writes: scaleWrites(t)})
			testenv.Eventually(t, 10*time.Minute, "cold converge", func() (bool, string) {
				n := m.writes.created.Load()
				return n == int64(members), fmt.Sprintf("%d of %d EffectivePermissions", n, members)
			})
			allEPs := time.Since(start)
			writes := settle(m, time.Second)
			// Settled when the last write was answered (settle only says
			// no write came for a second after it).
			settled := time.Duration(m.writes.lastAnswered.Load() - start.UnixNano())
			stopProfile()
			t.Logf("SCALE members=%d passes of the cold converge (the first EffectivePermission created %.2fs after the manager was started): %s",
				members, time.Duration(m.writes.firstCreated.Load()-start.UnixNano()).Seconds(), phasesSince(t, phasesBefore))
			managerHeap := heapInUse() - heapBefore
			if p := os.Getenv("ACCESS_CONTROLLER_HEAP_PROFILE"); p != "" {
				writeHeapProfile(t, fmt.Sprintf("%s-%d", p, members))
			}
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			m.stop(t)
			// A bare controller-runtime cache of the same kinds, as any
			// controller of them holds, over the same objects.
			bareBefore := heapInUse()
			stopBare := watchAll(t, nil)
			bareHeap := heapInUse() - bareBefore
			stopBare()
			t.Logf("SCALE members=%d memory: the manager's heap %d MiB (cache, engine, workqueues), a bare cache of the same kinds %d MiB: %.2fx; kube-apiserver RSS %d MiB, etcd RSS %d MiB (the cluster holds every size run so far)",
				members, managerHeap>>20, bareHeap>>20, float64(managerHeap)/float64(max(bareHeap, 1)), childRSS("kube-apiserver")>>20, childRSS("etcd")>>20)
			for _, o := range all {
				if got := countEPs(t, o.Tenants[0].Name); got != 500 {
					t.Errorf("%s has %d EffectivePermissions, want 500", o.Tenants[0].Name, got)
				}
			}

			// The floor, with the manager stopped: what any controller
			// must write for these tenants, sent directly.
			floor := writeFloor(t, scaleTenants(t, fmt.Sprintf("floor-%d", members), tenants), false)
			watched := writeFloor(t, scaleTenants(t, fmt.Sprintf("watched-%d", members), tenants), true)
			t.Logf("SCALE members=%d: floor with a watcher %.2fs (%.2fx the floor): EP creates %.2fs, statuses %.2fs; controller settled %.2fx the watched floor",
				members, watched.total().Seconds(), watched.total().Seconds()/floor.total().Seconds(), watched.eps.Seconds(), watched.statuses.Seconds(),
				settled.Seconds()/watched.total().Seconds())

			t.Logf("SCALE members=%d tenants=%d: ConfigMaps baseline %.2fs (%.0f/s); floor (the EPs and statuses sent directly) %.2fs (%.2fx baseline): EP creates %.2fs (%.2fx), statuses %.2fs (%.2fx); controller: all EPs written %.2fs (%.2fx baseline), settled (EPs + every status) %.2fs (%.2fx baseline, %.2fx floor); writes: EP creates %d, other EP writes %d, statuses %d, events %d; heap in use %d MiB, sys %d MiB",
				members, tenants, baseline.Seconds(), float64(members)/baseline.Seconds(),
				floor.total().Seconds(), floor.total().Seconds()/baseline.Seconds(),
				floor.eps.Seconds(), floor.eps.Seconds()/baseline.Seconds(),
				floor.statuses.Seconds(), floor.statuses.Seconds()/baseline.Seconds(),
				allEPs.Seconds(), allEPs.Seconds()/baseline.Seconds(),
				settled.Seconds(), settled.Seconds()/baseline.Seconds(), settled.Seconds()/floor.total().Seconds(),
				total(writes, "POST"), total(writes, " effectivepermissions")-total(writes, "POST"),
				total(writes, "/status"), total(writes, " events"),
				ms.HeapInuse>>20, ms.Sys>>20)
			t.Logf("SCALE members=%d writes: %s; refused: %s", members, describe(writes), describe(m.writes.refusals()))
		})
	}
}

// warmUp brings the API server to the state of one that has served these
// kinds before, as in any cluster where the CRDs were not installed a moment
// ago: for 2 s after a CRD is established the API server delays creates of
// it by 2 s, and a kind's first watch initialises its watch cache while
// answering 429 (retry after 1 s). A manager started and stopped once pays
// both.
// scaleWrites is the write budget of the scale run's manager:
// ACCESS_CONTROLLER_SCALE_WRITES (--max-concurrent-writes; the 50k runs in
// docs/performance.md use 256), else the default.
func scaleWrites(t *testing.T) int {
	s := os.Getenv("ACCESS_CONTROLLER_SCALE_WRITES")
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		t.Fatalf("ACCESS_CONTROLLER_SCALE_WRITES=%q: want a positive number of writes", s)
	}
	return n
}

func warmUp(t *testing.T) {
	time.Sleep(3 * time.Second)
	m := startManager(t, time.Now)
	time.Sleep(3 * time.Second)
	m.stop(t)
}

func scaleTenants(t *testing.T, prefix string, n int) []fixture.Objects {
	var all []fixture.Objects
	for i := range n {
		o := fixture.Tenant(fmt.Sprintf("%s-%d", prefix, i), 500, 50, int64(i+1))
		testenv.CreateNamespace(t, k8s, o.Tenants[0].Name)
		all = append(all, o)
	}
	return all
}

// floorTimes are the two parts of the floor.
type floorTimes struct{ eps, statuses time.Duration }

func (f floorTimes) total() time.Duration { return f.eps + f.statuses }

// writeFloor creates the tenants' inputs (untimed), then times the writes
// the spec asks of any controller for them, each sent as the controller's
// first pass sends it (controllers.FirstWrites), with 8 workers per tenant,
// tenants in parallel: every EffectivePermission created with its labels,
// owner references and status, then the status of every object (Members,
// Roles, PermissionSets, the Tenant). The two parts are timed apart: the
// statuses alone show the bound no design can pass.
//
// With watch set, a bare controller-runtime cache watches every kind the
// manager watches while the floor is written, as any controller's informers
// would: the API server then also encodes and sends each write to a
// watcher, which the plain floor does not pay.
func writeFloor(t *testing.T, all []fixture.Objects, watch bool) floorTimes {
	createParallel(t, all)
	ctx := context.Background()
	snaps := make([]*engine.Snapshot, len(all))
	for i, o := range all {
		snaps[i] = served(t, o.Tenants[0].Name)
	}
	if watch {
		stop := watchAll(t, nil)
		defer stop()
	}
	statuses := make([][]func() error, len(all))
	perTenant := func(f func(o fixture.Objects, i int)) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for i, o := range all {
			wg.Go(func() { f(o, i) })
		}
		wg.Wait()
		return time.Since(start)
	}
	send := func(jobs []func() error) {
		inParallel(len(jobs), func(j int) {
			if err := jobs[j](); err != nil {
				t.Error(err)
			}
		})
	}
	var took floorTimes
	took.eps = perTenant(func(o fixture.Objects, i int) {
		res := engine.Compute(snaps[i], time.Now())
		var creates []func() error
		creates, statuses[i] = controllers.FirstWrites(ctx, k8s, o.Tenants[0].NamespaceOrDefault(), snaps[i], res)
		send(creates)
	})
	took.statuses = perTenant(func(_ fixture.Objects, i int) { send(statuses[i]) })
	// Leave nothing for the next manager to reconcile (envtest runs no
	// namespace controller to clean up after a namespace delete).
	for _, o := range all {
		emptyNamespace(t, o.Tenants[0].Name)
		if err := k8s.Delete(ctx, o.Tenants[0].DeepCopy()); err != nil {
			t.Error(err)
		}
	}
	return took
}

// served is tenant's inputs as the API server serves them (UIDs,
// generations), as the manager's cache would hold them: the tenant and its
// namespace's objects (gather.Namespace).
func served(t *testing.T, tenant string) *engine.Snapshot {
	ctx := context.Background()
	var ten accessv1.Tenant
	if err := k8s.Get(ctx, client.ObjectKey{Name: tenant}, &ten); err != nil {
		t.Fatal(err)
	}
	s := &engine.Snapshot{Tenants: []accessv1.Tenant{ten}}
	if err := gather.Namespace(ctx, k8s, ten.NamespaceOrDefault(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

// watchAll starts a bare controller-runtime cache with an informer on every
// kind the manager watches (nothing handles their events), stores what it
// lists through transform (nil: as they are), and returns its stop once it
// has synced.
func watchAll(t *testing.T, transform toolscache.TransformFunc) func() {
	c, err := cache.New(cfg, cache.Options{Scheme: scheme, DefaultTransform: transform})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	for _, obj := range []client.Object{&accessv1.Tenant{}, &accessv1.Member{}, &accessv1.Role{}, &accessv1.PermissionSet{},
		&accessv1.PartnerAccess{}, &accessv1.VisibilityPolicy{}, &accessv1.EffectivePermission{}} {
		if _, err := c.GetInformer(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = c.Start(ctx) }()
	if !c.WaitForCacheSync(ctx) {
		t.Fatal("the watching cache did not sync")
	}
	return func() { cancel(); <-done }
}

// writeHeapProfile writes the process's heap profile to path.
func writeHeapProfile(t *testing.T, path string) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if err := pprof.WriteHeapProfile(f); err != nil {
		t.Error(err)
	}
}

// heapInUse is the process's heap in use after two garbage collections: what
// the running manager allocated during the first survives it.
func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse)
}

// childRSS is the resident memory of this process's child named name (the
// test environment's kube-apiserver or etcd), 0 when there is none.
func childRSS(name string) int64 {
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		st := string(b)
		open, end := strings.IndexByte(st, '('), strings.LastIndexByte(st, ')')
		if open < 0 || end < open || st[open+1:end] != name {
			continue
		}
		fields := strings.Fields(st[end+1:])
		if len(fields) < 2 || fields[1] != strconv.Itoa(os.Getpid()) {
			continue
		}
		status, err := os.ReadFile(filepath.Join(filepath.Dir(p), "status"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(status), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

// patchMemberStatus writes the status the controller computes for a newly
// created Member (generation 1), as a merge patch like the controller's.
func patchMemberStatus(ctx context.Context, member accessv1.Member, res *engine.Result) error {
	orig := member.DeepCopy()
	orig.Generation = 1
	m := orig.DeepCopy()
	m.Status = controllers.MemberStatus(m, res)
	return k8s.Status().Patch(ctx, m, client.MergeFrom(orig), client.FieldOwner(controllers.FieldOwner))
}

// requestCosts times each kind of write a converge makes, 1,000 of each
// with 8 workers, against a ConfigMap create: what one request costs the API
// server, whatever sends it.
func requestCosts(t *testing.T) {
	const n = 1000
	ctx := context.Background()
	o := fixture.Tenant("requests", n, 100, 1)
	res := engine.Compute(o.Snapshot(), time.Now())
	eps := res.EffectivePermissions
	testenv.CreateNamespace(t, k8s, "requests-typical")
	testenv.CreateNamespace(t, k8s, "requests-minimal")
	testenv.CreateNamespace(t, k8s, "requests-cm")
	testenv.CreateNamespace(t, k8s, "requests-spelled")
	epCreate := func(ns string, shape func(*accessv1.EffectivePermission)) func(i int) {
		return func(i int) {
			ep := eps[i].DeepCopy()
			ep.Namespace = ns
			shape(ep)
			ep.Status = controllers.EffectivePermissionStatus(accessv1.EffectivePermissionStatus{}, 1, nil)
			if err := k8s.Create(ctx, ep, client.FieldOwner(controllers.FieldOwner)); err != nil {
				t.Error(err)
			}
		}
	}
	compact := func(*accessv1.EffectivePermission) {}
	spelled := func(ep *accessv1.EffectivePermission) { ep.Spec = *ep.Spec.Expanded() }
	minimal := func(ep *accessv1.EffectivePermission) {
		ep.Spec.CapabilitySources, ep.Spec.Subordinates, ep.Spec.Objects = nil, nil, nil
	}
	var cm, sameBytes time.Duration
	for _, r := range []struct {
		what string
		f    func(i int)
	}{
		{"ConfigMap create (two keys)", func(i int) {
			if err := k8s.Create(ctx, configMap("requests-cm", i)); err != nil {
				t.Error(err)
			}
		}},
		{"ConfigMap create holding an EffectivePermission's spec as JSON", func(i int) {
			cm := configMap("requests-cm", n+i)
			b, err := json.Marshal(eps[i].Spec)
			if err != nil {
				t.Fatal(err)
			}
			cm.Data = map[string]string{"spec": string(b)}
			if err := k8s.Create(ctx, cm); err != nil {
				t.Error(err)
			}
		}},
		{"EffectivePermission create, fixture spec, with status", epCreate("requests-typical", compact)},
		{"EffectivePermission create, fixture spec spelled out (the shape before issue 15), with status", epCreate("requests-spelled", spelled)},
		{"EffectivePermission create, no capabilitySources/subordinates/objects, with status", epCreate("requests-minimal", minimal)},
		{"EffectivePermission create, no capabilitySources/subordinates/objects, no status", func(i int) {
			ep := eps[i].DeepCopy()
			ep.Name += "-bare"
			ep.Namespace = "requests-minimal"
			minimal(ep)
			if err := k8s.Create(ctx, ep, client.FieldOwner(controllers.FieldOwner)); err != nil {
				t.Error(err)
			}
		}},
		{"Member create (the test's, untimed by the floor)", func(i int) {
			m := o.Members[i].DeepCopy()
			m.Namespace = "requests-typical"
			if err := k8s.Create(ctx, m); err != nil {
				t.Error(err)
			}
		}},
		{"Member status merge patch", func(i int) {
			m := o.Members[i]
			m.Namespace = "requests-typical"
			if err := patchMemberStatus(ctx, m, res); err != nil {
				t.Error(err)
			}
		}},
	} {
		start := time.Now()
		inParallel(n, r.f)
		took := time.Since(start)
		switch {
		case cm == 0:
			cm = took
		case sameBytes == 0:
			sameBytes = took
		}
		t.Logf("SCALE request %s: %d in %.2fs, %.0f/s, %.2fx a ConfigMap create, %.2fx one holding the same bytes", r.what, n, took.Seconds(), n/took.Seconds(), took.Seconds()/cm.Seconds(), took.Seconds()/sameBytes.Seconds())
	}
	// Leave nothing for the managers of the runs that follow.
	emptyNamespace(t, "requests-typical")
	emptyNamespace(t, "requests-spelled")
	emptyNamespace(t, "requests-minimal")
}

// emptyNamespace deletes every object of our kinds in ns (envtest runs no
// namespace controller to clean up after a namespace delete).
func emptyNamespace(t *testing.T, ns string) {
	for _, obj := range []client.Object{&accessv1.EffectivePermission{}, &accessv1.Member{}, &accessv1.Role{}, &accessv1.PermissionSet{}, &accessv1.PartnerAccess{}, &accessv1.VisibilityPolicy{}} {
		if err := k8s.DeleteAllOf(context.Background(), obj, client.InNamespace(ns)); err != nil {
			t.Error(err)
		}
	}
}

func configMap(ns string, i int) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("cm-%d", i)},
		Data: map[string]string{"a": "1", "b": "2"}}
}

// createConfigMaps creates n ConfigMaps with 8 workers, as the controller
// writes with 8, and returns how long it took.
func createConfigMaps(t *testing.T, ns string, n int) time.Duration {
	testenv.CreateNamespace(t, k8s, ns)
	start := time.Now()
	inParallel(n, func(i int) {
		if err := k8s.Create(context.Background(), configMap(ns, i)); err != nil {
			t.Error(err)
		}
	})
	return time.Since(start)
}

// inParallel runs f(0..n-1) on 8 workers.
func inParallel(n int, f func(i int)) {
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range jobs {
				f(i)
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

func createParallel(t *testing.T, all []fixture.Objects) {
	var wg sync.WaitGroup
	for _, o := range all {
		wg.Go(func() { createAll(t, o) })
	}
	wg.Wait()
}
