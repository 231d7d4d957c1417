package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	. "github.com/tenancy-dev/access-controller/internal/engine/enginetest"
	"github.com/tenancy-dev/access-controller/internal/testenv"
	"github.com/tenancy-dev/access-controller/internal/webhook"
)

// RaceTrialsEnv sets how many trials the last-SuperAdmin race runs, and
// half as many each for cycles and e-mails (make reliability sets it; make
// test runs a short version).
const RaceTrialsEnv = "ACCESS_CONTROLLER_RACE_TRIALS"

func raceTrials(short int) int {
	if n, err := strconv.Atoi(os.Getenv(RaceTrialsEnv)); err == nil && n > 0 {
		return n
	}
	return short
}

// replicas stops the suite's manager and serves the webhooks from two
// webhook-only managers behind a TCP proxy on the address the API server
// calls, which hands each new connection to the next replica: concurrent
// requests of one tenant reach both, and only the Lease serializes them.
// It returns how many connections each replica took.
func replicas(t *testing.T) *[2]atomic.Int64 {
	t.Helper()
	stopManager()
	mcfg, err := userConfig(controllerUser)
	if err != nil {
		t.Fatal(err)
	}
	front := testEnv.WebhookInstallOptions
	var backs [2]string
	var ms [2]*testenv.Manager
	for i := range ms {
		o := front
		l, err := net.Listen("tcp", net.JoinHostPort(front.LocalServingHost, "0"))
		if err != nil {
			t.Fatal(err)
		}
		o.LocalServingPort = l.Addr().(*net.TCPAddr).Port
		_ = l.Close()
		backs[i] = l.Addr().String()
		ms[i], err = testenv.StartManager(mcfg, scheme, testenv.ManagerOptions{Webhooks: &o,
			Run: []testenv.Runner{webhooks(claimsForTest(fmt.Sprintf("replica-%d", i)))}})
		if err != nil {
			t.Fatal(err)
		}
	}
	counts := &[2]atomic.Int64{}
	ln, err := net.Listen("tcp", net.JoinHostPort(front.LocalServingHost, strconv.Itoa(front.LocalServingPort)))
	if err != nil {
		t.Fatal(err)
	}
	var next atomic.Int64
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			i := next.Add(1) % 2
			counts[i].Add(1)
			go pipe(in, backs[i])
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		for _, m := range ms {
			_ = m.Stop()
		}
		if err := startManager(); err != nil {
			t.Fatalf("restarting the suite's manager: %v", err)
		}
	})
	if err := webhookAnswers(); err != nil {
		t.Fatal(err)
	}
	return counts
}

func claimsForTest(identity string) webhook.ClaimOptions {
	return webhook.ClaimOptions{Identity: identity}
}

func pipe(in net.Conn, to string) {
	defer func() { _ = in.Close() }()
	out, err := net.Dial("tcp", to)
	if err != nil {
		return
	}
	defer func() { _ = out.Close() }()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(out, in); done <- struct{}{} }()
	go func() { _, _ = io.Copy(in, out); done <- struct{}{} }()
	<-done
}

// retried runs a request as kubectl apply and GitOps tools do: again after
// a Conflict (a busy claim, or a resourceVersion moved on).
func retried(f func() error) error {
	return retry.OnError(retry.DefaultBackoff, apierrors.IsConflict, f)
}

// live reads the namespace's inputs from the API server and computes them.
func computeLive(t *testing.T, ns string) *engine.Result {
	t.Helper()
	ctx := context.Background()
	s := &engine.Snapshot{}
	var tenants accessv1.TenantList
	var members accessv1.MemberList
	var roles accessv1.RoleList
	if err := k8s.List(ctx, &tenants); err != nil {
		t.Fatal(err)
	}
	if err := k8s.List(ctx, &members, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	if err := k8s.List(ctx, &roles, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, tn := range tenants.Items {
		if tn.NamespaceOrDefault() == ns {
			s.Tenants = append(s.Tenants, tn)
		}
	}
	s.Members = engine.Pointers(members.Items)
	for _, r := range roles.Items {
		if !engine.IsBuiltin(&r) {
			s.Roles = append(s.Roles, r)
		}
	}
	return engine.Compute(s, time.Now())
}

func activeSuperAdmins(t *testing.T, ns string) int {
	t.Helper()
	var members accessv1.MemberList
	if err := k8s.List(context.Background(), &members, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range members.Items {
		if m.DeletionTimestamp == nil && m.IsActive() && m.Spec.AccountRole == accessv1.AccountRoleSuperAdmin {
			n++
		}
	}
	return n
}

// TestRaceLastSuperAdmin: K = 2..5 SuperAdmins of a tenant are demoted,
// deactivated or deleted all at once (K clients) or back to back (one
// client, no pause), through two webhook replicas. Invariant 1: the tenant
// always keeps an active SuperAdmin — and exactly one stays, since every
// refused request was refused for being the last.
func TestRaceLastSuperAdmin(t *testing.T) {
	counts := replicas(t)
	trials := raceTrials(24)
	ctx := context.Background()
	modes := []string{"demote", "deactivate", "delete"}
	violations, refusedLast, busy := 0, 0, 0
	for i := range trials {
		k := 2 + i%4
		mode := modes[(i/4)%3]
		concurrent := (i/12)%2 == 0
		ns := fmt.Sprintf("race-sa-%d-%d", i, time.Now().UnixNano()%100000)
		apply(t, MakeTenant(ns).Obj())
		for j := range k {
			if err := retried(func() error {
				return k8s.Create(ctx, MakeMember(ns, fmt.Sprintf("admin-%d", j)).SuperAdmin().Obj())
			}); err != nil {
				t.Fatal(err)
			}
		}
		change := func(j int) error {
			return retried(func() error {
				m := &accessv1.Member{}
				if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: fmt.Sprintf("admin-%d", j)}, m); err != nil {
					return err
				}
				switch mode {
				case "demote":
					m.Spec.AccountRole = accessv1.AccountRoleAdmin
				case "deactivate":
					m.Spec.Active = ptr.To(false)
				default:
					return k8s.Delete(ctx, m, client.Preconditions{ResourceVersion: ptr.To(m.ResourceVersion)})
				}
				return k8s.Update(ctx, m)
			})
		}
		errs := make([]error, k)
		if concurrent {
			var wg sync.WaitGroup
			for j := range k {
				wg.Go(func() { errs[j] = change(j) })
			}
			wg.Wait()
		} else {
			for j := range k {
				errs[j] = change(j)
			}
		}
		for _, err := range errs {
			switch {
			case err == nil:
			case apierrors.IsConflict(err):
				busy++
			case isLastSuperAdmin(err):
				refusedLast++
			default:
				t.Errorf("trial %d (%s %d, concurrent %v): unexpected error: %v", i, mode, k, concurrent, err)
			}
		}
		if n := activeSuperAdmins(t, ns); n == 0 {
			violations++
			t.Errorf("trial %d: %s of %d SuperAdmins (concurrent %v) left tenant %q without an active SuperAdmin", i, mode, k, concurrent, ns)
		} else if n != 1 && busy == 0 {
			t.Errorf("trial %d: %s of %d SuperAdmins left %d active (want 1: only the last one refused)", i, mode, k, n)
		}
	}
	t.Logf("RACE last-superadmin: trials %d, violations %d, refused as last %d, conflicts after retries %d, connections per replica %d/%d",
		trials, violations, refusedLast, busy, counts[0].Load(), counts[1].Load())
	if counts[0].Load() == 0 || counts[1].Load() == 0 {
		t.Errorf("one replica took no request (%d/%d): the test did not exercise two replicas", counts[0].Load(), counts[1].Load())
	}
}

func isLastSuperAdmin(err error) bool {
	var s apierrors.APIStatus
	return errors.As(err, &s) && strings.Contains(s.Status().Message, "last active SuperAdmin")
}

// TestRaceRoleCycle: two roles under ceo are re-parented under each other
// at once; at most one re-parent is admitted, and no cycle is ever stored.
func TestRaceRoleCycle(t *testing.T) {
	replicas(t)
	ctx := context.Background()
	trials := raceTrials(24) / 2
	violations := 0
	for i := range trials {
		ns := fmt.Sprintf("race-cycle-%d-%d", i, time.Now().UnixNano()%100000)
		apply(t, MakeTenant(ns).Obj(), MakeMember(ns, "owner").SuperAdmin().Obj(),
			MakeRole(ns, "a").ReportsTo(accessv1.CEORole).Obj(), MakeRole(ns, "b").ReportsTo(accessv1.CEORole).Obj())
		var wg sync.WaitGroup
		for _, pair := range [][2]string{{"a", "b"}, {"b", "a"}} {
			wg.Go(func() {
				_ = retried(func() error {
					r := &accessv1.Role{}
					if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: pair[0]}, r); err != nil {
						return err
					}
					r.Spec.ReportsTo = pair[1]
					return k8s.Update(ctx, r)
				})
			})
		}
		wg.Wait()
		for _, f := range computeLive(t, ns).Findings {
			if f.Reason == accessv1.ReasonRoleCycle {
				violations++
				t.Errorf("trial %d: a role cycle was stored: %s", i, f.Message)
				break
			}
		}
	}
	t.Logf("RACE role-cycle: trials %d, violations %d", trials, violations)
}

// TestRaceDuplicateEmail: two Members with one e-mail are created at once;
// at most one is admitted.
func TestRaceDuplicateEmail(t *testing.T) {
	replicas(t)
	ctx := context.Background()
	trials := raceTrials(24) / 2
	violations := 0
	for i := range trials {
		ns := fmt.Sprintf("race-email-%d-%d", i, time.Now().UnixNano()%100000)
		apply(t, MakeTenant(ns).Obj(), MakeMember(ns, "owner").SuperAdmin().Obj())
		var wg sync.WaitGroup
		for _, name := range []string{"sam", "samuel"} {
			wg.Go(func() {
				_ = retried(func() error {
					return k8s.Create(ctx, MakeMember(ns, name).Admin().Email("sam@"+ns+".example").Obj())
				})
			})
		}
		wg.Wait()
		var members accessv1.MemberList
		if err := k8s.List(ctx, &members, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		if n := len(members.Items); n != 2 {
			violations++
			t.Errorf("trial %d: %d members, want the owner and one of the two with sam's e-mail", i, n)
		}
	}
	t.Logf("RACE duplicate-email: trials %d, violations %d", trials, violations)
}
