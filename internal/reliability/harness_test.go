package reliability_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/testenv"
)

var (
	testEnv    *envtest.Environment
	adminCfg   *rest.Config
	k8s        client.WithWatch
	scheme     = testenv.NewScheme()
	managerBin string
)

const controllerUser = "system:serviceaccount:access-controller-system:access-controller-controller-manager"

func TestMain(m *testing.M) {
	os.Exit(testenv.Suite(m, "reliability", testenv.Options{Restartable: true}, func(e *testenv.Env) (func(), error) {
		testEnv, adminCfg = e.Environment, e.Config
		certs := testEnv.ControlPlane.APIServer.CertDir
		var err error
		if k8s, err = client.NewWithWatch(adminCfg, client.Options{Scheme: scheme}); err != nil {
			return nil, err
		}
		dir, err := os.MkdirTemp("", "reliability-")
		if err != nil {
			return nil, err
		}
		cleanup := func() { _ = os.RemoveAll(dir); _ = os.RemoveAll(certs) }
		// The manager is a process of its own, so that it can be SIGKILLed.
		managerBin = filepath.Join(dir, "manager")
		build := exec.Command("go", "build", "-o", managerBin, "./cmd/manager")
		build.Dir, build.Stdout, build.Stderr = testenv.Root, os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			cleanup()
			return nil, fmt.Errorf("building the manager: %w", err)
		}
		return cleanup, nil
	}))
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// ---------------------------------------------------------------- the manager process

// manager runs cmd/manager as the controller's service account, and kills
// and restarts it on demand. With supervise, it also plays kubelet: a
// process that exits on its own (a lost leader election) is started again
// after a second.
type manager struct {
	t          testing.TB
	kubeconfig string
	args       []string
	supervise  bool
	log        *os.File
	mu         sync.Mutex
	cmd        *exec.Cmd
	exited     chan struct{}
	starts     int
	kills      int
	restarts   int
	closed     bool
}

func newManager(t testing.TB, supervise bool, args ...string) *manager {
	t.Helper()
	user, err := testEnv.AddUser(envtest.User{Name: controllerUser, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	m := &manager{t: t, kubeconfig: filepath.Join(dir, "kubeconfig"), args: args, supervise: supervise}
	if err := os.WriteFile(m.kubeconfig, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	if m.log, err = os.Create(filepath.Join(dir, "manager.log")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		m.mu.Lock()
		m.closed = true
		m.mu.Unlock()
		m.stop()
		if t.Failed() {
			b, _ := os.ReadFile(m.log.Name())
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			t.Logf("last lines of the manager's log:\n%s", b)
		}
		_ = m.log.Close()
	})
	return m
}

func (m *manager) killCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.kills
}

func (m *manager) restartCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.restarts
}

func (m *manager) start() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.startLocked()
}

func (m *manager) startLocked() {
	if m.cmd != nil || m.closed {
		return
	}
	cmd := exec.Command(managerBin, append([]string{"--health-probe-bind-address=0", "--metrics-bind-address=0"}, m.args...)...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+m.kubeconfig)
	cmd.Stdout, cmd.Stderr = m.log, m.log
	if err := cmd.Start(); err != nil {
		m.t.Errorf("starting the manager: %v", err)
		return
	}
	exited := make(chan struct{})
	m.cmd, m.exited = cmd, exited
	m.starts++
	go func() {
		_ = cmd.Wait()
		close(exited)
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.cmd != cmd {
			return // killed or stopped on purpose
		}
		m.cmd = nil
		if m.supervise && !m.closed {
			m.restarts++
			time.AfterFunc(time.Second, m.start)
		}
	}()
}

// kill SIGKILLs the manager: no shutdown, no deferred writes.
func (m *manager) kill() {
	m.mu.Lock()
	cmd, exited := m.cmd, m.exited
	m.cmd = nil
	if cmd != nil {
		m.kills++
	}
	m.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
}

func (m *manager) stop() {
	m.mu.Lock()
	cmd, exited := m.cmd, m.exited
	m.cmd = nil
	m.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// killer kills and restarts the manager at random intervals until stop is
// closed; it leaves the manager running.
func (m *manager) killer(rng *rand.Rand, every time.Duration, stop <-chan struct{}) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			up := every/2 + time.Duration(rng.Int64N(int64(every)))
			select {
			case <-stop:
				return
			case <-time.After(up):
			}
			m.kill()
			m.start()
		}
	}()
	return done
}

// ---------------------------------------------------------------- inputs and their history

// history is every state the inputs went through, in order: state k is the
// inputs after k mutations. The test is their only writer.
type history struct {
	mu     sync.Mutex
	states []*engine.Snapshot
	render []map[string]*accessv1.EffectivePermissionSpec // computed on demand
}

func (h *history) add(s *engine.Snapshot) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.states = append(h.states, s)
	h.render = append(h.render, nil)
}

func (h *history) len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.states)
}

// rendered is the engine's EffectivePermissions of state k, by namespace/name.
func (h *history) rendered(k int, now time.Time) map[string]*accessv1.EffectivePermissionSpec {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.render[k] == nil {
		out := map[string]*accessv1.EffectivePermissionSpec{}
		for _, ep := range engine.Compute(h.states[k], now).EffectivePermissions {
			out[ep.Namespace+"/"+ep.Name] = &ep.Spec
		}
		h.render[k] = out
	}
	return h.render[k]
}

// readInputs reads every input object from the API server: one state.
func readInputs(t testing.TB) *engine.Snapshot {
	t.Helper()
	ctx := context.Background()
	s := &engine.Snapshot{}
	var tenants accessv1.TenantList
	var members accessv1.MemberList
	var roles accessv1.RoleList
	var sets accessv1.PermissionSetList
	var pas accessv1.PartnerAccessList
	var policies accessv1.VisibilityPolicyList
	for _, l := range []client.ObjectList{&tenants, &members, &roles, &sets, &pas, &policies} {
		if err := retry.OnError(retry.DefaultBackoff, func(error) bool { return true }, func() error { return k8s.List(ctx, l) }); err != nil {
			t.Fatal(err)
		}
	}
	s.Tenants, s.Members, s.PartnerAccesses, s.VisibilityPolicies = tenants.Items, engine.Pointers(members.Items), pas.Items, policies.Items
	for _, r := range roles.Items {
		if !engine.IsBuiltin(&r) {
			s.Roles = append(s.Roles, r)
		}
	}
	for _, p := range sets.Items {
		if !engine.IsBuiltin(&p) {
			s.PermissionSets = append(s.PermissionSets, p)
		}
	}
	return s
}

// ---------------------------------------------------------------- the watcher

// version is one EffectivePermission version the cluster held: its spec (nil
// for a delete) and how many mutations had been applied when it was seen.
type version struct {
	key     string
	spec    *accessv1.EffectivePermissionSpec
	deleted bool
	state   int
}

// watcher records every EffectivePermission version, re-watching from the
// last resourceVersion it saw when the watch ends (an API server restart).
type watcher struct {
	mu       sync.Mutex
	versions []version
	listed   int // versions from the first list, before any event
	current  func() int
	stop     context.CancelFunc
	done     chan struct{}
}

func watchEPs(t testing.TB, current func() int) *watcher {
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{current: current, stop: cancel, done: make(chan struct{})}
	var list accessv1.EffectivePermissionList
	if err := k8s.List(ctx, &list); err != nil {
		t.Fatal(err)
	}
	for _, ep := range list.Items {
		w.versions = append(w.versions, version{key: ep.Namespace + "/" + ep.Name, spec: ep.Spec.DeepCopy(), state: current()})
	}
	w.listed = len(w.versions)
	rv := list.ResourceVersion
	go func() {
		defer close(w.done)
		for ctx.Err() == nil {
			wi, err := k8s.Watch(ctx, &accessv1.EffectivePermissionList{}, &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true}})
			if err != nil {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			for ev := range wi.ResultChan() {
				if ev.Type == watch.Error {
					rv = "" // expired: list again below
					continue
				}
				ep, ok := ev.Object.(*accessv1.EffectivePermission)
				if !ok {
					continue
				}
				rv = ep.ResourceVersion
				v := version{key: ep.Namespace + "/" + ep.Name, state: w.current()}
				switch ev.Type {
				case watch.Added, watch.Modified:
					v.spec = ep.Spec.DeepCopy()
				case watch.Deleted:
					v.deleted = true
				default:
					continue
				}
				w.mu.Lock()
				w.versions = append(w.versions, v)
				w.mu.Unlock()
			}
			wi.Stop()
			for rv == "" && ctx.Err() == nil {
				// Watch again from a fresh list; its items are versions too.
				var l accessv1.EffectivePermissionList
				if err := k8s.List(ctx, &l); err != nil {
					time.Sleep(100 * time.Millisecond)
					continue
				}
				w.mu.Lock()
				for _, ep := range l.Items {
					w.versions = append(w.versions, version{key: ep.Namespace + "/" + ep.Name, spec: ep.Spec.DeepCopy(), state: w.current()})
				}
				w.mu.Unlock()
				rv = l.ResourceVersion
			}
		}
	}()
	return w
}

func (w *watcher) close() []version {
	w.stop()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.versions)
}

// judge checks every version against the history: a version of user u seen
// after i mutations must grant nothing beyond what some state k ≤ i granted
// u (the engine's classifier: no Widen from that state's render to the
// version). A delete is a revocation and is always sound for access; it
// is counted apart, as a deletion the render of no state ≤ i explains.
func judge(t testing.TB, h *history, versions []version, now time.Time) (widening, unexplainedDeletes int) {
	t.Helper()
	for _, v := range versions {
		if v.deleted {
			explained := false
			for k := min(v.state, h.len()-1); k >= 0 && !explained; k-- {
				_, in := h.rendered(k, now)[v.key]
				explained = !in
			}
			if !explained {
				unexplainedDeletes++
				if unexplainedDeletes <= 5 {
					t.Errorf("EffectivePermission %s was deleted after %d mutations, though every state up to then renders it", v.key, v.state)
				}
			}
			continue
		}
		sound := false
		for k := min(v.state, h.len()-1); k >= 0 && !sound; k-- {
			sound = !engine.ClassifyDirection(h.rendered(k, now)[v.key], v.spec).Widens()
		}
		if !sound {
			widening++
			if widening <= 5 {
				b, _ := json.Marshal(v.spec)
				t.Errorf("EffectivePermission %s version seen after %d mutations grants what no state up to then grants: %s", v.key, v.state, b)
			}
		}
	}
	return widening, unexplainedDeletes
}

// converged waits until the cluster's EffectivePermissions are the engine's
// render of the inputs as they are now.
func converged(t testing.TB, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	want := engine.Compute(readInputs(t), time.Now()).EffectivePermissions
	nss := map[string]bool{}
	for _, ep := range want {
		nss[ep.Namespace] = true
	}
	var namespaces []string
	for ns := range nss {
		namespaces = append(namespaces, ns)
	}
	var tenants accessv1.TenantList
	if err := k8s.List(context.Background(), &tenants); err != nil {
		t.Fatal(err)
	}
	for _, tn := range tenants.Items {
		namespaces = append(namespaces, tn.NamespaceOrDefault())
	}
	testenv.Eventually(t, within, "the cluster's EffectivePermissions equal the engine's render of the final inputs", func() (bool, string) {
		return testenv.SameEPs(t, k8s, want, namespaces)
	})
	return time.Since(start)
}

// update reads obj afresh, changes it and writes it, again on a conflict
// (the controller's status writes move resourceVersion).
func update[T client.Object](ctx context.Context, obj T, change func(T) bool) error {
	return testenv.TryUpdate(ctx, k8s, obj, change)
}

func ignoreGone(err error) error {
	if apierrors.IsNotFound(err) || apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}
