package reliability_test

import (
	"context"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tenancy-dev/access-controller/controllers"
	"github.com/tenancy-dev/access-controller/internal/testenv"
)

// TestKillChurn: tenants churn — members deactivated, demoted, moved,
// deleted (some held by another controller's finalizer), PartnerAccess
// changed and deleted, staff entries and permission sets changed — while
// the manager process is SIGKILLed and restarted over and over. No
// EffectivePermission version may grant what no state of the inputs up to
// then granted; after quiescence the cluster holds exactly the engine's
// render of the final inputs.
func TestKillChurn(t *testing.T) {
	mutations := envInt("RELIABILITY_MUTATIONS", 150)
	minKills := envInt("RELIABILITY_KILLS", 10)
	clients := envInt("RELIABILITY_CLIENTS", 18)
	ctx := context.Background()
	w := buildWorld(t, "churn", clients, 24, 1)
	h := &history{}
	h.add(readInputs(t))
	var current atomic.Int64
	// Without leader election: a SIGKILLed leader would hold its Lease for
	// 15 s and no replacement could work in between kills.
	mgr := newManager(t, false)
	mgr.start()
	converged(t, 3*time.Minute)
	watch := watchEPs(t, func() int { return int(current.Load()) })

	rng := rand.New(rand.NewPCG(2, 3))
	stop := make(chan struct{})
	// Kill about every 600 ms: often mid-pass, sometimes before the caches
	// have synced.
	killed := mgr.killer(rng, 600*time.Millisecond, stop)
	mut := newMutator(w, 4, h)
	start := time.Now()
	for mgr.killCount() < minKills || mut.applied < mutations {
		mut.run(t, ctx, 10, 20*time.Millisecond, &current)
	}
	close(stop)
	<-killed
	churn := time.Since(start)
	settle := converged(t, 2*time.Minute)
	versions := watch.close()
	widening, deletes := judge(t, h, versions, time.Now())
	t.Logf("RELIABILITY kill-churn: tenants %d, members %d, mutations %d (%v), kills %d, churn %s, converged %s after, versions checked %d, widening %d, unexplained deletions %d",
		len(w.clients)+len(w.partners), len(h.states[0].Members), mut.applied, mut.kinds, mgr.killCount(), churn.Round(time.Second), settle.Round(time.Millisecond), len(versions), widening, deletes)
}

// TestOutage: the API server goes away for RELIABILITY_OUTAGE (60 s in make
// reliability) in the middle of churn, with the manager running. While it
// is away nothing can be written; when it returns, no EffectivePermission
// is deleted or widened on the strength of what the manager missed, and
// the cluster converges to the engine's render.
func TestOutage(t *testing.T) {
	outage := time.Duration(envInt("RELIABILITY_OUTAGE_SECONDS", 10)) * time.Second
	mutations := envInt("RELIABILITY_OUTAGE_MUTATIONS", 40)
	ctx := context.Background()
	w := buildWorld(t, "outage", 6, 24, 11)
	h := &history{}
	h.add(readInputs(t))
	var current atomic.Int64
	// As deployed: with leader election, so that a manager that loses the
	// API server for longer than the renew deadline exits, and is started
	// again (kubelet's part, played by the test), listing everything afresh.
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "access-controller-system"}}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	mgr := newManager(t, true, "--leader-elect", "--leader-election-namespace=access-controller-system")
	mgr.start()
	converged(t, 3*time.Minute)
	watch := watchEPs(t, func() int { return int(current.Load()) })
	mut := newMutator(w, 12, h)
	mut.run(t, ctx, mutations/2, 20*time.Millisecond, &current)

	// The API server crashes: SIGKILL, no graceful shutdown (a graceful
	// one waits out every open watch).
	apiserver := testEnv.ControlPlane.APIServer
	killAPIServer(t, apiserver.CertDir)
	_ = apiserver.Stop() // reaps the process
	time.Sleep(outage)
	if err := apiserver.Start(); err != nil {
		t.Fatalf("starting kube-apiserver again: %v", err)
	}
	back := time.Now()
	mut.run(t, ctx, mutations-mutations/2, 20*time.Millisecond, &current)
	settle := converged(t, 30*time.Second)
	versions := watch.close()
	widening, deletes := judge(t, h, versions, time.Now())
	t.Logf("RELIABILITY outage: kube-apiserver away %s during churn; manager restarts %d; mutations %d, converged %s after the last mutation (%s after its return), versions checked %d, widening %d, unexplained deletions %d",
		outage, mgr.restartCount(), mut.applied, settle.Round(time.Millisecond), time.Since(back).Round(time.Millisecond), len(versions), widening, deletes)
}

// killAPIServer SIGKILLs the kube-apiserver serving from certDir.
func killAPIServer(t *testing.T, certDir string) {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if args := strings.Split(string(cmdline), "\x00"); len(args) > 0 && filepath.Base(args[0]) == "kube-apiserver" &&
			slices.Contains(args, "--cert-dir="+certDir) {
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no kube-apiserver with --cert-dir=%s", certDir)
}

// delayFirstList holds the first request for one resource (its list) for
// delay: a cache that knows every kind but that one.
type delayFirstList struct {
	next     http.RoundTripper
	resource string
	delay    time.Duration
	once     sync.Once
	released atomic.Bool
}

func (d *delayFirstList) RoundTrip(req *http.Request) (*http.Response, error) {
	// The first request for the resource is its list: a LIST, or a watch
	// with sendInitialEvents (client-go's streaming list).
	if req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/"+d.resource) {
		d.once.Do(func() {
			time.Sleep(d.delay)
			d.released.Store(true)
		})
	}
	return d.next.RoundTrip(req)
}

// TestPartialKnowledge: a manager starts while its list of Members (then,
// in a second round, PartnerAccess) is held back, after the inputs changed
// while no manager ran. Until the list arrives it writes nothing at all —
// no deletion, no widening, no EffectivePermission rewritten from a cache
// that lacks a kind — and then it converges.
func TestPartialKnowledge(t *testing.T) {
	delay := time.Duration(envInt("RELIABILITY_PARTIAL_SECONDS", 5)) * time.Second
	ctx := context.Background()
	w := buildWorld(t, "partial", 4, 16, 21)
	h := &history{}
	h.add(readInputs(t))
	var current atomic.Int64
	first := newManager(t, false)
	first.start()
	converged(t, 3*time.Minute)
	first.stop()
	for _, resource := range []string{"members", "partneraccesses"} {
		// The inputs change while no manager runs: revocations and grants.
		mut := newMutator(w, uint64(len(resource)), h)
		mut.run(t, ctx, 20, 0, &current)
		watch := watchEPs(t, func() int { return int(current.Load()) })
		d := &delayFirstList{resource: resource, delay: delay}
		m, err := testenv.StartManager(adminCfg, scheme, testenv.ManagerOptions{Run: []testenv.Runner{controllers.Setup}, Wrap: func(rt http.RoundTripper) http.RoundTripper {
			d.next = rt
			return d
		}})
		if err != nil {
			t.Fatal(err)
		}
		for !d.released.Load() {
			time.Sleep(50 * time.Millisecond)
		}
		listed := watch.listed
		during := watch.close()
		watch = watchEPs(t, func() int { return int(current.Load()) })
		settle := converged(t, time.Minute)
		after := watch.close()
		if err := m.Stop(); err != nil {
			t.Fatal(err)
		}
		writesDuring := len(during) - listed
		if writesDuring != 0 {
			t.Errorf("%d EffectivePermission writes while the %s list was held back; want none", writesDuring, resource)
		}
		widening, deletes := judge(t, h, append(during, after...), time.Now())
		t.Logf("RELIABILITY partial knowledge (%s list held %s): writes while held %d, converged %s after it arrived, versions checked %d, widening %d, unexplained deletions %d",
			resource, delay, writesDuring, settle.Round(time.Millisecond), len(during)+len(after), widening, deletes)
	}
}
