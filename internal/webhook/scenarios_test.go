package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/manifest"
	"github.com/tenancy-dev/access-controller/internal/testenv"
)

// rounds is how many random orders each shared scenario is applied in.
const rounds = 20

// TestScenariosInRandomOrders applies every shared scenario through the
// webhooks in random orders, each object once, as a GitOps tool would. What
// is refused is retried once after the rest: a refusal that the rest of the
// scenario clears would be a not-yet-satisfied reference refused, which
// admission must never do. Then:
//   - a valid scenario is accepted whole and converges to the engine's render
//     of its files (what `accessctl render` prints);
//   - an invalid one converges to the render of what was accepted, every
//     refusal carries a message `accessctl validate` prints for the files,
//     and every finding validate prints is either refused or reported in its
//     object's Ready condition.
func TestScenariosInRandomOrders(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "testdata", "scenarios", "*", "*.yaml"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	r := rand.New(rand.NewPCG(20, 5))
	for _, dir := range uniqueDirs(dirs) {
		set, err := manifest.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		_, statErr := os.Stat(filepath.Join(dir, "expect-invalid"))
		invalid := statErr == nil
		validate := engine.Compute(&set.Snapshot, time.Now()).Findings
		if invalid != (len(validate) > 0) {
			t.Fatalf("%s: expect-invalid is %v but validate finds %d findings", dir, invalid, len(validate))
		}
		nss := scenarioNamespaces(t, set)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			clearNamespaces(t, nss)
			nRefused, nReported := 0, 0
			defer func() {
				t.Logf("%d rounds: %d refusals, %d findings reported in conditions", rounds, nRefused, nReported)
			}()
			for round := range rounds {
				order := r.Perm(set.Len())
				accepted, refusals := applyInOrder(t, set, order)
				nRefused += len(refusals)
				if !invalid && len(refusals) > 0 {
					t.Fatalf("round %d: a valid scenario had refusals: %s", round, describeRefusals(refusals))
				}
				for _, rf := range refusals {
					for _, c := range rf.causes {
						if !slices.ContainsFunc(validate, func(f engine.Finding) bool { return strings.Contains(c, f.Message) }) {
							t.Errorf("round %d: %s was refused with %q, which is no message of accessctl validate:\n%s", round, rf.obj.Ref, c, findingLines(validate))
						}
					}
				}
				want := compute(t, accepted)
				testenv.Eventually(t, 20*time.Second, fmt.Sprintf("round %d: converge to the render of the %d accepted objects", round, len(accepted)), func() (bool, string) {
					return testenv.SameEPs(t, k8s, want.EffectivePermissions, nss)
				})
				for _, f := range validate {
					if slices.ContainsFunc(refusals, func(rf refusal) bool { return rf.says(f.Message) }) {
						continue
					}
					reportedIn(t, round, f, accepted, want)
					nReported++
				}
				clearNamespaces(t, nss)
			}
		})
	}
}

func uniqueDirs(files []string) []string {
	var dirs []string
	for _, f := range files {
		if d := filepath.Dir(f); !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// refusal is one object the API server refused, with the cause messages.
type refusal struct {
	obj    manifest.Object
	causes []string
}

func (rf refusal) says(msg string) bool {
	return slices.ContainsFunc(rf.causes, func(c string) bool { return strings.Contains(c, msg) })
}

func describeRefusals(rs []refusal) string {
	var b strings.Builder
	for _, rf := range rs {
		fmt.Fprintf(&b, "\n  %s: %s", rf.obj.Ref, strings.Join(rf.causes, " | "))
	}
	return b.String()
}

func findingLines(fs []engine.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "  %s\n", f)
	}
	return b.String()
}

// applyInOrder creates the scenario's objects in the order given, each once,
// waiting after each until the webhooks' cache holds it (as the next request
// of a slower client would); then retries what was refused, once.
func applyInOrder(t *testing.T, set *manifest.Set, order []int) ([]manifest.Object, []refusal) {
	t.Helper()
	objs := set.Objects()
	var accepted []manifest.Object
	var refused []refusal
	create := func(o manifest.Object) error {
		obj := o.Resource.DeepCopyObject().(client.Object)
		err := k8s.Create(context.Background(), obj)
		if err == nil {
			accepted = append(accepted, o)
			inCache(t, obj)
		}
		return err
	}
	for _, i := range order {
		if err := create(objs[i]); err != nil {
			refused = append(refused, refusal{obj: objs[i], causes: causesOf(t, objs[i], err)})
		}
	}
	var still []refusal
	for _, rf := range refused {
		if err := create(rf.obj); err == nil {
			t.Errorf("%s was refused, then accepted once the rest of the scenario was there: a refusal for what was not yet satisfied (%s)", rf.obj.Ref, strings.Join(rf.causes, " | "))
		} else {
			still = append(still, refusal{obj: rf.obj, causes: causesOf(t, rf.obj, err)})
		}
	}
	return accepted, still
}

// causesOf returns the messages of a refusal; anything but a refusal fails
// the test.
func causesOf(t *testing.T, o manifest.Object, err error) []string {
	t.Helper()
	var status apierrors.APIStatus
	if !errors.As(err, &status) || (!apierrors.IsInvalid(err) && !apierrors.IsForbidden(err)) {
		t.Fatalf("create %s: %v, want accepted or refused", o.Ref, err)
	}
	var out []string
	if d := status.Status().Details; d != nil {
		for _, c := range d.Causes {
			out = append(out, c.Message)
		}
	}
	if len(out) == 0 {
		out = append(out, status.Status().Message)
	}
	return out
}

// inCache waits until the manager's cache holds obj.
func inCache(t *testing.T, obj client.Object) {
	t.Helper()
	probe := obj.DeepCopyObject().(client.Object)
	testenv.Eventually(t, 10*time.Second, "the cache to hold "+obj.GetName(), func() (bool, string) {
		err := mgr.Cache.Get(context.Background(), client.ObjectKeyFromObject(obj), probe)
		return err == nil, fmt.Sprint(err)
	})
}

func compute(t *testing.T, objs []manifest.Object) *engine.Result {
	t.Helper()
	set, err := manifest.NewSet(objs)
	if err != nil {
		t.Fatal(err)
	}
	return engine.Compute(&set.Snapshot, time.Now())
}

// reportedIn checks that a finding accessctl validate prints, which was not
// refused, is reported: the engine finds it among the accepted objects and
// the object's Ready condition says it.
func reportedIn(t *testing.T, round int, f engine.Finding, accepted []manifest.Object, res *engine.Result) {
	t.Helper()
	i := slices.IndexFunc(accepted, func(o manifest.Object) bool { return o.Ref == f.Object })
	if i < 0 || !slices.ContainsFunc(res.FindingsFor(f.Object), func(g engine.Finding) bool { return g.Message == f.Message }) {
		t.Errorf("round %d: validate prints %q, which was neither refused nor reported", round, f)
		return
	}
	o := accepted[i]
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(o.Resource.GetObjectKind().GroupVersionKind())
	testenv.Eventually(t, 20*time.Second, fmt.Sprintf("round %d: %s reports %q", round, f.Object, f.Message), func() (bool, string) {
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: o.Ref.Namespace, Name: o.Ref.Name}, u); err != nil {
			return false, err.Error()
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			if m["type"] == accessv1.ConditionReady && m["status"] == "False" {
				msg, _ := m["message"].(string)
				return strings.Contains(msg, f.Field+": "+f.Message), "Ready says " + msg
			}
		}
		return false, fmt.Sprintf("conditions %v", conds)
	})
}

func scenarioNamespaces(t *testing.T, set *manifest.Set) []string {
	var out []string
	add := func(ns string) {
		if ns != "" && !slices.Contains(out, ns) {
			out = append(out, ns)
		}
	}
	for _, tn := range set.Snapshot.Tenants {
		add(tn.NamespaceOrDefault())
	}
	for _, o := range set.Objects() {
		add(o.Ref.Namespace)
	}
	for _, ns := range out {
		testenv.CreateNamespace(t, k8s, ns)
	}
	return out
}

// clearNamespaces deletes every object of ours in the namespaces, as one
// deletes whole tenants: the Tenants first (so that the rules protecting a
// living tenant let the rest go), then the rest; and waits until the
// controller has removed their EffectivePermissions.
func clearNamespaces(t *testing.T, nss []string) {
	t.Helper()
	ctx := context.Background()
	var tenants accessv1.TenantList
	if err := k8s.List(ctx, &tenants); err != nil {
		t.Fatal(err)
	}
	for i := range tenants.Items {
		tn := &tenants.Items[i]
		if slices.Contains(nss, tn.NamespaceOrDefault()) {
			if err := k8s.Delete(ctx, tn); err != nil && !apierrors.IsNotFound(err) {
				t.Fatalf("delete Tenant %s: %v", tn.Name, err)
			}
			testenv.Eventually(t, 10*time.Second, "the cache to drop Tenant "+tn.Name, func() (bool, string) {
				err := mgr.Cache.Get(ctx, client.ObjectKeyFromObject(tn), &accessv1.Tenant{})
				return apierrors.IsNotFound(err), fmt.Sprint(err)
			})
		}
	}
	lists := []client.ObjectList{&accessv1.MemberList{}, &accessv1.RoleList{}, &accessv1.PermissionSetList{},
		&accessv1.PartnerAccessList{}, &accessv1.VisibilityPolicyList{}, &accessv1.EffectivePermissionList{}}
	testenv.Eventually(t, 30*time.Second, "the namespaces to empty", func() (bool, string) {
		left := 0
		var last string
		for _, ns := range nss {
			for _, l := range lists {
				if err := k8s.List(ctx, l, client.InNamespace(ns)); err != nil {
					t.Fatal(err)
				}
				items, err := meta.ExtractList(l)
				if err != nil {
					t.Fatal(err)
				}
				for _, item := range items {
					o := item.(client.Object)
					left++
					if _, ep := o.(*accessv1.EffectivePermission); ep {
						continue // the controller's to delete
					}
					if err := k8s.Delete(ctx, o); err != nil && !apierrors.IsNotFound(err) {
						last = fmt.Sprintf("delete %T %s/%s: %v", o, o.GetNamespace(), o.GetName(), err)
					}
				}
			}
		}
		return left == 0, fmt.Sprintf("%d objects left; %s", left, last)
	})
}
