package decision_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/controllers"
	"github.com/tenancy-dev/access-controller/internal/decision"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/manifest"
	"github.com/tenancy-dev/access-controller/internal/question"
	"github.com/tenancy-dev/access-controller/internal/question/questiontest"
	"github.com/tenancy-dev/access-controller/internal/testenv"
	"github.com/tenancy-dev/access-controller/pkg/check"
)

// TestScenariosAgreeWithAccessctl is issue 13's "the decision server agrees
// with accessctl on every shared scenario", against a real API server. One
// API server, one controller manager (the real controllers) and one
// decision server (a manager with its cache, wired as cmd/decision-server
// wires it but without authentication, its Handler behind an httptest
// server) serve every scenario of testdata/scenarios that has a
// checks.tsv, one scenario at a time: the cluster holds nothing else while
// a scenario is asked, so the offline render of its files is the whole
// world, and each scenario is deleted (and its EffectivePermissions removed
// by the controller) before the next, as scenarios may share namespace and
// tenant names (this costs a few hundred milliseconds a scenario; an API
// server of its own would cost seconds). For each scenario:
//
//   - its objects are created and the controller runs until the
//     EffectivePermissions, in the API server and in the decision server's
//     cache, are the engine's render of its files (accessctl render);
//   - check: every checks.tsv row, asked of /v1/check and of accessctl
//     check offline, gives the same allowed, access and reasons, and the
//     row's expectation;
//   - batch-check: all of the rows in one batch answer as the single
//     checks did, in order;
//   - who-can: every row's question without its user, and every
//     capability someone holds, asked of /v1/who-can and accessctl who-can,
//     lists the same users with the same access and reasons, of as many;
//   - filter: for every user of each tenant (and a stranger), every action
//     and every type the scenario's EffectivePermissions name, /v1/filter is
//     pkg/check's Filter on the EffectivePermission accessctl renders; and on
//     records owned by each member of the scenario and a stranger, stating
//     each visibility (none, the four, and OwnerAndGroups naming each role),
//     Filter.Matches allows exactly what /v1/check allows (its answer also
//     accessctl check's), and hides exactly the fields whose /v1/check is
//     denied on an allowed record. A record with no owner cannot be asked of
//     /v1/check (a question without owner is the functional one), so for it
//     Matches is held to pkg/check's Action on the rendered
//     EffectivePermission.
//
// Scenarios without checks.tsv are the invalid ones (expect-invalid): they
// ask no question, and are listed as skipped; a folder with neither fails.
func TestScenariosAgreeWithAccessctl(t *testing.T) {
	scenarios := questiontest.Scenarios(t)
	skipped := invalidScenarios(t)
	start := time.Now()
	w := startWorld(t)
	t.Logf("API server, controller and decision server up in %s", time.Since(start).Round(time.Millisecond))

	var total tally
	for _, s := range scenarios {
		t.Run(s.Name, func(t *testing.T) {
			var n tally
			began := time.Now()
			off := offline(t, s.Dir)
			w.apply(t, s.Set, off.res)
			converged := time.Since(began)

			t.Run("check", func(t *testing.T) { n.add(w.checks(t, off, s.Rows)) })
			t.Run("batch-check", func(t *testing.T) { n.add(w.batch(t, s.Rows)) })
			t.Run("who-can", func(t *testing.T) { n.add(w.whoCans(t, off, whoCanQuestions(s.Rows, off.res))) })
			t.Run("filter", func(t *testing.T) { n.add(w.filters(t, off, s.Set)) })
			asked := time.Since(began) - converged

			n.assertCovered(t)
			cleared := time.Now()
			w.clear(t)
			t.Logf("converged in %s; %s; asked in %s; cleared in %s", converged.Round(time.Millisecond), n,
				asked.Round(time.Millisecond), time.Since(cleared).Round(time.Millisecond))
			total.add(n)
		})
	}
	t.Logf("%d scenarios (skipped, no questions: %s): %s, in %s", len(scenarios), strings.Join(skipped, ", "), total,
		time.Since(start).Round(time.Millisecond))
}

// invalidScenarios are the scenario folders without checks.tsv, which must
// be expect-invalid ones.
func invalidScenarios(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, dir := range questiontest.Dirs(t) {
		if _, err := os.Stat(filepath.Join(dir, "checks.tsv")); err == nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "expect-invalid")); err != nil {
			t.Fatalf("scenario %s has neither checks.tsv nor expect-invalid", filepath.Base(dir))
		}
		out = append(out, filepath.Base(dir))
	}
	return out
}

// tally counts what a scenario asked.
type tally struct {
	checks, batched, whoCans, whoCanUsers, filters, nonEmptyFilters int
	records, recordsAllowed, fields, ownerless                      int
}

func (n *tally) add(o tally) {
	n.checks += o.checks
	n.batched += o.batched
	n.whoCans += o.whoCans
	n.whoCanUsers += o.whoCanUsers
	n.filters += o.filters
	n.nonEmptyFilters += o.nonEmptyFilters
	n.records += o.records
	n.recordsAllowed += o.recordsAllowed
	n.fields += o.fields
	n.ownerless += o.ownerless
}

func (n tally) String() string {
	return fmt.Sprintf("%d checks, %d batched, %d who-can (%d users listed), %d filters (%d allowing some record), "+
		"%d records matched against /v1/check (%d allowed), %d field checks, %d ownerless records",
		n.checks, n.batched, n.whoCans, n.whoCanUsers, n.filters, n.nonEmptyFilters, n.records, n.recordsAllowed, n.fields, n.ownerless)
}

// assertCovered fails a scenario that asked nothing of some kind, or whose
// answers were all alike (a test that could not have told a wrong server).
func (n tally) assertCovered(t *testing.T) {
	t.Helper()
	for _, c := range []struct {
		what string
		n    int
	}{
		{"checks", n.checks}, {"batched checks", n.batched}, {"who-can questions", n.whoCans},
		{"users listed by who-can", n.whoCanUsers}, {"filters", n.filters}, {"filters allowing some record", n.nonEmptyFilters},
		{"records", n.records}, {"records allowed", n.recordsAllowed}, {"records denied", n.records - n.recordsAllowed},
		{"ownerless records", n.ownerless},
	} {
		if c.n <= 0 {
			t.Errorf("asked no %s: %s", c.what, n)
		}
	}
}

// accessctl answers as `accessctl check`, `who-can` and pkg/check's Filter
// do offline on a scenario's files (`-f DIR --now 2026-06-01T00:00:00Z`).
// cmd/accessctl is a main package, so its commands cannot be called from
// here; these are the functions they call, in the same way (check.go's
// decide and print, whocan.go's RunE and tenantUsers, root.go's compute):
// no decision of the test's own.
type accessctl struct {
	res *engine.Result
}

// offline loads a scenario as accessctl's -f does and runs the engine at
// the scenarios' clock.
func offline(t *testing.T, dir string) *accessctl {
	t.Helper()
	set, err := manifest.LoadFrom(strings.NewReader(""), dir)
	if err != nil {
		t.Fatal(err)
	}
	return &accessctl{res: engine.Compute(&set.Snapshot, questiontest.Now)}
}

// verdict is `accessctl check -o json`'s output, and the decision of a
// /v1/check answer.
type verdict struct {
	Allowed bool                 `json:"allowed"`
	Access  accessv1.AccessLevel `json:"access"`
	Reasons []string             `json:"reasons"`
}

func (v verdict) String() string {
	b, _ := json.Marshal(v)
	return string(b)
}

// check is `accessctl check -o json`.
func (a *accessctl) check(q question.Question) verdict {
	d, _ := (&question.Asker{Owners: a.res}).Decide(a.res.Lookup(q.Tenant, q.User), &q)
	if d.Access == "" {
		d.Access = accessv1.AccessNone
	}
	if d.Reasons == nil {
		d.Reasons = []string{}
	}
	return verdict{Allowed: d.Allowed, Access: d.Access, Reasons: d.Reasons}
}

// whoCan is `accessctl who-can -o json`.
func (a *accessctl) whoCan(q question.Question) question.WhoCan {
	var users []*accessv1.EffectivePermission
	for i := range a.res.EffectivePermissions {
		if ep := &a.res.EffectivePermissions[i]; ep.Spec.Tenant == q.Tenant {
			users = append(users, ep)
		}
	}
	return (&question.Asker{Owners: a.res}).WhoCan(users, &q)
}

// permissions is the compiled EffectivePermission accessctl renders for
// user in tenant, nil when there is none.
func (a *accessctl) permissions(tenant, user string) *check.Permissions {
	if ep := a.res.Lookup(tenant, user); ep != nil {
		return check.Compile(&ep.Spec)
	}
	return nil
}

// world is the API server, the controller and the decision server.
type world struct {
	k8s   client.Client
	cache client.Reader // the decision server's
	url   string
	http  *http.Client
}

func startWorld(t *testing.T) *world {
	t.Helper()
	env := testenv.ForTest(t, testenv.Options{})
	cfg := env.Config
	scheme, k8s := env.Scheme, env.Client
	now := func() time.Time { return questiontest.Now }
	ctrlMgr, err := testenv.StartManager(cfg, scheme, testenv.ManagerOptions{Now: now, Run: []testenv.Runner{controllers.Setup}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ctrlMgr.Stop(); err != nil {
			t.Errorf("controller manager: %v", err)
		}
	})

	srv, cache := startServer(t, cfg, scheme, now)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	w := &world{k8s: k8s, cache: cache, url: hs.URL, http: hs.Client()}
	testenv.Eventually(t, 60*time.Second, "the decision server ready", func() (bool, string) {
		resp, err := w.http.Get(w.url + "/readyz")
		if err != nil {
			return false, err.Error()
		}
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK, fmt.Sprintf("%d %s", resp.StatusCode, b)
	})
	return w
}

// startServer runs a decision server as Setup wires it for
// cmd/decision-server — a manager with no controller, its cache stripped of
// managedFields, the field indexes, the Tracker fed by an informer of each
// kind it reads, ready once the cache has synced — but with no
// authentication (Options without Auth) and no listener of its own: the
// test serves its Handler.
func startServer(t *testing.T, cfg *rest.Config, scheme *runtime.Scheme, now func() time.Time) (*decision.Server, client.Reader) {
	t.Helper()
	mgr, err := ctrl.NewManager(rest.CopyConfig(cfg), ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  decision.CacheOptions(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if err := decision.SetupIndexes(ctx, mgr.GetFieldIndexer()); err != nil {
		t.Fatal(err)
	}
	var synced atomic.Bool
	srv, err := decision.New(decision.Options{Reader: mgr.GetCache(), Now: now, Synced: synced.Load, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	track := srv.Tracker()
	observe := func(obj any, deleted bool) {
		if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
			obj = tomb.Obj
		}
		if o, ok := obj.(client.Object); ok && deleted {
			track.Deleted(o)
		} else if ok {
			track.Observe(o)
		}
	}
	for _, obj := range []client.Object{&accessv1.EffectivePermission{}, &accessv1.Tenant{}, &accessv1.Member{}, &accessv1.Role{},
		&accessv1.PermissionSet{}, &accessv1.PartnerAccess{}, &accessv1.VisibilityPolicy{}} {
		inf, err := mgr.GetCache().GetInformer(ctx, obj)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc:    func(obj any) { observe(obj, false) },
			UpdateFunc: func(_, obj any) { observe(obj, false) },
			DeleteFunc: func(obj any) { observe(obj, true) },
		}); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("decision server's manager: %v", err)
		}
	})
	go func() { synced.Store(mgr.GetCache().WaitForCacheSync(ctx)) }()
	return srv, mgr.GetCache()
}

// ours are the kinds of the project; the cluster holds none of them
// between scenarios.
func ours() []client.ObjectList {
	return []client.ObjectList{&accessv1.TenantList{}, &accessv1.MemberList{}, &accessv1.RoleList{}, &accessv1.PermissionSetList{},
		&accessv1.PartnerAccessList{}, &accessv1.VisibilityPolicyList{}, &accessv1.EffectivePermissionList{}}
}

// left counts the objects of ours c holds, in every namespace.
func left(t *testing.T, c client.Reader) (int, string) {
	t.Helper()
	n, names := 0, []string{}
	for _, l := range ours() {
		if err := c.List(context.Background(), l); err != nil {
			t.Fatal(err)
		}
		items, err := meta.ExtractList(l)
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range items {
			o := item.(client.Object)
			n++
			names = append(names, fmt.Sprintf("%T %s/%s", o, o.GetNamespace(), o.GetName()))
		}
	}
	return n, strings.Join(names, ", ")
}

// apply creates a scenario's objects in a cluster that holds nothing of
// ours, and waits until the controller has written the render's
// EffectivePermissions and the decision server's cache holds them and
// every input.
func (w *world) apply(t *testing.T, set *manifest.Set, res *engine.Result) {
	t.Helper()
	if n, what := left(t, w.k8s); n != 0 {
		t.Fatalf("the cluster is not empty before the scenario: %s", what)
	}
	var nss []string
	for _, tn := range set.Snapshot.Tenants {
		nss = append(nss, tn.NamespaceOrDefault())
	}
	for _, o := range set.Objects() {
		nss = append(nss, o.Ref.Namespace)
	}
	for _, ep := range res.EffectivePermissions {
		nss = append(nss, ep.Namespace)
	}
	nss = slices.DeleteFunc(slices.Compact(slices.Sorted(slices.Values(nss))), func(ns string) bool { return ns == "" })
	for _, ns := range nss {
		testenv.CreateNamespace(t, w.k8s, ns)
	}
	var created []client.Object
	for _, o := range set.Objects() {
		obj := o.Resource.DeepCopyObject().(client.Object)
		if err := w.k8s.Create(context.Background(), obj); err != nil {
			t.Fatalf("create %s: %v", o.Ref, err)
		}
		created = append(created, obj)
	}
	if len(res.EffectivePermissions) == 0 {
		t.Fatal("the scenario renders no EffectivePermission")
	}
	testenv.Eventually(t, 30*time.Second, "the controller converges to the render", func() (bool, string) {
		return testenv.SameEPs(t, w.k8s, res.EffectivePermissions, nss)
	})
	testenv.Eventually(t, 30*time.Second, "the decision server's cache holds the render and every input", func() (bool, string) {
		if ok, why := testenv.SameEPs(t, w.cache, res.EffectivePermissions, nss); !ok {
			return false, why
		}
		for _, obj := range created {
			probe := obj.DeepCopyObject().(client.Object)
			if err := w.cache.Get(context.Background(), client.ObjectKeyFromObject(obj), probe); err != nil {
				return false, fmt.Sprintf("%T %s: %v", obj, client.ObjectKeyFromObject(obj), err)
			}
		}
		return true, ""
	})
}

// clear deletes every object of ours (the Tenants with the rest: no
// webhook guards a living tenant here) and waits until the controller has
// removed the EffectivePermissions and the decision server's cache holds
// nothing of ours either.
func (w *world) clear(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	testenv.Eventually(t, 30*time.Second, "the cluster and the decision server's cache emptied", func() (bool, string) {
		for _, l := range ours() {
			if err := w.k8s.List(ctx, l); err != nil {
				t.Fatal(err)
			}
			items, _ := meta.ExtractList(l)
			for _, item := range items {
				if _, ep := item.(*accessv1.EffectivePermission); ep {
					continue // the controller's to delete
				}
				if err := w.k8s.Delete(ctx, item.(client.Object)); err != nil && !isNotFound(err) {
					return false, err.Error()
				}
			}
		}
		if n, what := left(t, w.k8s); n != 0 {
			return false, "the API server holds " + what
		}
		if n, what := left(t, w.cache); n != 0 {
			return false, "the cache holds " + what
		}
		return true, ""
	})
}

func isNotFound(err error) bool { return client.IgnoreNotFound(err) == nil }

// post asks the decision server and decodes its 200 answer into out.
func (w *world) post(t *testing.T, path string, body, out any) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := w.http.Post(w.url+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s %s: %d %s", path, b, resp.StatusCode, got)
	}
	if err := json.Unmarshal(got, out); err != nil {
		t.Fatalf("POST %s %s: %v: %s", path, b, err, got)
	}
}

// check asks /v1/check.
func (w *world) check(t *testing.T, q question.Question) (verdict, decision.Answer) {
	t.Helper()
	var a decision.Answer
	w.post(t, "/v1/check", q, &a)
	return verdict{Allowed: a.Allowed, Access: a.Access, Reasons: a.Reasons}, a
}

// same reports whether two verdicts are equal as JSON ("reasons": [] and
// null differ).
func same(a, b verdict) bool { return a.String() == b.String() }

// errs reports disagreements, the first few in full and then a count.
type errs struct {
	t *testing.T
	n int
}

func (e *errs) add(format string, args ...any) {
	e.t.Helper()
	if e.n++; e.n <= 10 {
		e.t.Errorf(format, args...)
	}
}

func (e *errs) done() {
	if e.n > 10 {
		e.t.Errorf("%d disagreements in all (the first 10 above)", e.n)
	}
}

// checks asks every checks.tsv row of /v1/check and of accessctl check.
func (w *world) checks(t *testing.T, off *accessctl, rows []questiontest.Row) (n tally) {
	e := &errs{t: t}
	defer e.done()
	for _, r := range rows {
		got, _ := w.check(t, r.Question)
		want := off.check(r.Question)
		n.checks++
		if !same(got, want) {
			e.add("checks.tsv line %d %+v:\n server    %s\n accessctl %s", r.Line, r.Question, got, want)
		}
		if got.Allowed != r.Allow {
			e.add("checks.tsv line %d %+v: the server says allowed=%v, the row %v (%v)", r.Line, r.Question, got.Allowed, r.Allow, got.Reasons)
		}
	}
	return n
}

// batch asks all the rows in one batch-check: the answers are the single
// checks', in order, each at least as fresh.
func (w *world) batch(t *testing.T, rows []questiontest.Row) (n tally) {
	e := &errs{t: t}
	defer e.done()
	var qs []question.Question
	var single []decision.Answer
	for _, r := range rows {
		qs = append(qs, r.Question)
		_, a := w.check(t, r.Question)
		single = append(single, a)
	}
	for start := 0; start < len(qs); start += decision.MaxBatch {
		end := min(start+decision.MaxBatch, len(qs))
		var got decision.BatchAnswer
		w.post(t, "/v1/batch-check", decision.BatchRequest{Questions: qs[start:end]}, &got)
		if len(got.Answers) != end-start {
			t.Fatalf("a batch of %d questions: %d answers", end-start, len(got.Answers))
		}
		for i, a := range got.Answers {
			s := single[start+i]
			n.batched++
			gv, sv := verdict{a.Allowed, a.Access, a.Reasons}, verdict{s.Allowed, s.Access, s.Reasons}
			if !same(gv, sv) {
				e.add("batch [%d] %+v:\n batch  %s\n single %s", start+i, qs[start+i], gv, sv)
			}
			if fresher(s.Freshness, a.Freshness) {
				e.add("batch [%d] %+v: freshness %q, older than the single check's %q", start+i, qs[start+i], a.Freshness, s.Freshness)
			}
		}
	}
	return n
}

// fresher reports whether token a is newer than b (both resourceVersions).
func fresher(a, b string) bool {
	x, errA := strconv.ParseUint(a, 10, 64)
	y, errB := strconv.ParseUint(b, 10, 64)
	return errA != nil || errB != nil || x > y
}

// whoCanQuestions are the rows' questions without their user, once each,
// and a capability question for every capability someone holds (as
// accessctl's own who-can test asks).
func whoCanQuestions(rows []questiontest.Row, res *engine.Result) []question.Question {
	var out []question.Question
	add := func(q question.Question) {
		q.User = ""
		if !slices.ContainsFunc(out, func(o question.Question) bool { return fmt.Sprintf("%#v", o) == fmt.Sprintf("%#v", q) }) {
			out = append(out, q)
		}
	}
	for _, r := range rows {
		add(r.Question)
	}
	for _, ep := range res.EffectivePermissions {
		for _, c := range ep.Spec.Capabilities {
			if c != "*" {
				add(question.Question{Tenant: ep.Spec.Tenant, Capability: c})
			}
		}
	}
	return out
}

// whoCans asks each question of /v1/who-can and of accessctl who-can.
func (w *world) whoCans(t *testing.T, off *accessctl, qs []question.Question) (n tally) {
	e := &errs{t: t}
	defer e.done()
	for _, q := range qs {
		var got decision.WhoCanAnswer
		w.post(t, "/v1/who-can", q, &got)
		want := off.whoCan(q)
		gotJSON, _ := json.Marshal(got.WhoCan)
		wantJSON, _ := json.Marshal(want)
		n.whoCans++
		n.whoCanUsers += len(got.Users)
		if !bytes.Equal(gotJSON, wantJSON) {
			e.add("who-can %+v:\n server    %s\n accessctl %s", q, gotJSON, wantJSON)
		}
	}
	return n
}

// filters compares /v1/filter with pkg/check's Filter on the rendered
// EffectivePermission, and Filter.Matches with /v1/check on records.
func (w *world) filters(t *testing.T, off *accessctl, set *manifest.Set) (n tally) {
	e := &errs{t: t}
	defer e.done()
	var types, roles, owners []string
	fields := map[string][]string{} // by type, "*" for every type
	for _, ep := range off.res.EffectivePermissions {
		roles = append(roles, ep.Spec.Role)
		for _, o := range ep.Spec.Objects {
			if o.Type != accessv1.AllTypes {
				types = append(types, o.Type)
			}
			for _, g := range o.Grants {
				fields[o.Type] = append(fields[o.Type], g.HiddenFields...)
			}
		}
	}
	for _, r := range set.Snapshot.Roles {
		roles = append(roles, r.Name)
	}
	for _, m := range set.Snapshot.Members {
		owners = append(owners, m.Spec.Email)
	}
	types, roles = sortedSet(types), sortedSet(slices.DeleteFunc(roles, func(r string) bool { return r == "" }))
	owners = append(sortedSet(owners), questiontest.UnknownUser)

	for _, tn := range set.Snapshot.Tenants {
		tenant := tn.Name
		var users []string
		for _, ep := range off.res.EffectivePermissions {
			if ep.Spec.Tenant == tenant {
				users = append(users, ep.Spec.User)
			}
		}
		users = append(users, questiontest.UnknownUser)
		for _, user := range users {
			p := off.permissions(tenant, user)
			for _, typ := range types {
				typeFields := sortedSet(slices.Concat(fields[typ], fields[accessv1.AllTypes]))
				for _, action := range question.Actions {
					fq := decision.FilterQuestion{Tenant: tenant, User: user, Action: action, Type: typ}
					var got decision.FilterAnswer
					w.post(t, "/v1/filter", fq, &got)
					want := p.Filter(action, typ)
					gotJSON, _ := json.Marshal(got.Filter)
					wantJSON, _ := json.Marshal(want)
					n.filters++
					if !got.Nothing() {
						n.nonEmptyFilters++
					}
					if !bytes.Equal(gotJSON, wantJSON) {
						e.add("filter %+v:\n server %s\n pkg/check on accessctl's render %s", fq, gotJSON, wantJSON)
						continue
					}
					for _, rq := range records(tenant, user, action, typ, owners, roles) {
						rec := rq.Record(off.res.RecordOwner(tenant, rq.Owner))
						allowed, hidden := got.Matches(rec)
						server, _ := w.check(t, rq)
						n.records++
						if allowed {
							n.recordsAllowed++
						}
						if server.Allowed != allowed {
							e.add("record %+v: Filter.Matches allows %v, /v1/check %s\n filter %s", rq, allowed, server, gotJSON)
						}
						if want := off.check(rq); !same(server, want) {
							e.add("record %+v:\n server    %s\n accessctl %s", rq, server, want)
						}
						for _, f := range typeFields {
							fq := rq
							fq.Field = f
							server, _ := w.check(t, fq)
							n.fields++
							if wantAllowed := allowed && !slices.Contains(hidden, f); server.Allowed != wantAllowed {
								e.add("record %+v: Filter.Matches allows %v hiding %v; /v1/check of field %s %s", rq, allowed, hidden, f, server)
							}
						}
					}
					// The record with no owner: the API cannot ask about
					// it (a question without owner is functional), so
					// Matches answers as pkg/check's Action does.
					for _, v := range append([]accessv1.Visibility{""}, question.Visibilities...) {
						rec := check.Record{Type: typ, Visibility: v}
						allowed, _ := got.Matches(rec)
						n.ownerless++
						if d := p.Action(action, rec); d.Allowed != allowed {
							e.add("ownerless record %+v of %s, %s: Filter.Matches allows %v, pkg/check's Action %+v", rec, user, action, allowed, d)
						}
					}
				}
			}
		}
	}
	return n
}

// records are record questions of user about type typ: owned by each of
// owners, stating no visibility, each of the four, and OwnerAndGroups
// naming each role.
func records(tenant, user string, action accessv1.Action, typ string, owners, roles []string) []question.Question {
	var out []question.Question
	for _, owner := range owners {
		q := question.Question{Tenant: tenant, User: user, Action: action, Type: typ, Owner: owner}
		out = append(out, q)
		for _, v := range question.Visibilities {
			q.Visibility = v
			out = append(out, q)
		}
		for _, r := range roles {
			q.Visibility, q.Groups = accessv1.VisibilityOwnerAndGroups, []string{r}
			out = append(out, q)
		}
	}
	return out
}

func sortedSet(s []string) []string { return slices.Compact(slices.Sorted(slices.Values(s))) }
