package webhook_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/controllers"
	. "github.com/tenancy-dev/access-controller/internal/engine/enginetest"
	"github.com/tenancy-dev/access-controller/internal/testenv"
	"github.com/tenancy-dev/access-controller/internal/webhook"
)

// The suite runs one API server with the webhooks of config/webhook
// installed, served by a manager that runs as the controller's own service
// account; the tests' client is an administrator, "someone else".
var (
	testEnv *envtest.Environment
	k8s     client.Client
	scheme  = testenv.NewScheme()
	mgr     *testenv.Manager // the running manager; its Cache is what the webhooks judge by
)

const controllerUser = "system:serviceaccount:access-controller-system:access-controller-controller-manager"

func TestMain(m *testing.M) {
	os.Exit(testenv.Suite(m, "webhook", testenv.Options{Webhooks: true}, func(e *testenv.Env) (func(), error) {
		testEnv, k8s = e.Environment, e.Client
		return stopManager, startManager()
	}))
}

// startManager runs the controllers and the webhooks, as cmd/manager does,
// as the controller's service account. It can run again after stopManager.
func startManager() error {
	mcfg, err := userConfig(controllerUser)
	if err != nil {
		return err
	}
	if mgr, err = testenv.StartManager(mcfg, scheme, testenv.ManagerOptions{Webhooks: &testEnv.WebhookInstallOptions,
		Run: []testenv.Runner{controllers.Setup, webhooks(webhook.ClaimOptions{})}}); err != nil {
		return err
	}
	return webhookAnswers()
}

// userConfig is a configuration acting as user, unthrottled, with every
// permission: what the suites judge is the webhooks' rules, not RBAC.
func userConfig(user string) (*rest.Config, error) {
	u, err := testEnv.AddUser(envtest.User{Name: user, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, err
	}
	cfg := u.Config()
	cfg.QPS, cfg.Burst = -1, 0
	return cfg, nil
}

// webhookAnswers waits until the webhook answers: a harmless dry-run create
// passes it.
func webhookAnswers() error {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if err := k8s.Create(context.Background(), MakeTenant("probe").Obj(), client.DryRunAll); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("the webhook did not answer within 30s")
}

func stopManager() {
	if mgr != nil {
		if err := mgr.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
		mgr = nil
	}
}

func apply(t *testing.T, objs ...client.Object) {
	t.Helper()
	for _, o := range objs {
		if t, ok := o.(*accessv1.Tenant); ok {
			_ = k8s.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: t.NamespaceOrDefault()}})
		}
		if err := k8s.Create(context.Background(), o); err != nil {
			t.Fatalf("create %T %s: %v", o, o.GetName(), err)
		}
	}
}

// settled waits until the cache the webhook reads holds what the API server
// holds: every object of the input kinds, at the same resourceVersion.
func settled(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	testenv.Eventually(t, 30*time.Second, "the webhook's cache holds what was applied", func() (bool, string) {
		for _, l := range []client.ObjectList{&accessv1.TenantList{}, &accessv1.MemberList{}, &accessv1.RoleList{},
			&accessv1.PermissionSetList{}, &accessv1.PartnerAccessList{}, &accessv1.VisibilityPolicyList{}} {
			live, cached := l.DeepCopyObject().(client.ObjectList), l.DeepCopyObject().(client.ObjectList)
			if err := k8s.List(ctx, live); err != nil {
				return false, err.Error()
			}
			if err := mgr.Cache.List(ctx, cached); err != nil {
				return false, err.Error()
			}
			if a, b := versions(live), versions(cached); !maps.Equal(a, b) {
				return false, fmt.Sprintf("%T: the API server holds %v, the cache %v", l, a, b)
			}
		}
		return true, ""
	})
}

// versions maps each object of a list to its resourceVersion.
func versions(l client.ObjectList) map[string]string {
	out := map[string]string{}
	_ = meta.EachListItem(l, func(o k8sruntime.Object) error {
		m := o.(client.Object)
		out[m.GetNamespace()+"/"+m.GetName()] = m.GetResourceVersion()
		return nil
	})
	return out
}

func get[T client.Object](t *testing.T, obj T) T {
	t.Helper()
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

// update is k8s.Update retried on conflicts: the controller's status writes
// move resourceVersion but never the spec or metadata a test changes.
func update(obj client.Object) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		err := k8s.Update(context.Background(), obj)
		if apierrors.IsConflict(err) {
			cur := obj.DeepCopyObject().(client.Object)
			if gerr := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), cur); gerr == nil {
				obj.SetResourceVersion(cur.GetResourceVersion())
			}
		}
		return err
	})
}

// refused asserts that err is a refusal whose message contains want.
func refused(t *testing.T, what string, err error, want string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: allowed, want refused with %q", what, want)
		return
	}
	if !apierrors.IsInvalid(err) && !apierrors.IsForbidden(err) {
		t.Errorf("%s: %v, want a refusal (Invalid or Forbidden)", what, err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("%s: refused with\n  %v\nwant the message to contain\n  %s", what, err, want)
	}
}

func allowed(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: refused, want allowed: %v", what, err)
	}
}

// TestRefusedRows tries, through the API server, a request that breaks each
// refused row of invariants.md, and the nearest legal request.
func TestRefusedRows(t *testing.T) {
	ctx := context.Background()
	apply(t,
		MakeTenant("acme").RoleLimit(3).Obj(),
		MakeMember("acme", "carol").SuperAdmin().Obj(),
		MakeRole("acme", "sales").Obj(),
		MakeRole("acme", "sales-jr").ReportsTo("sales").Obj(),
		MakeMember("acme", "dan").Role("sales").Obj(),
		MakeMember("acme", "bob").Email("bob@agency-y.example").Role("sales-jr").Obj(),
		MakeTenant("agency-y").Partner(accessv1.TierSolutionsPartner).Obj(),
		MakeMember("agency-y", "owner").SuperAdmin().Obj(),
		MakeMember("agency-y", "dora").Role("ceo").Seat().Obj(),
		MakePermissionSet("agency-y", "money").Caps("billing.access", "reports.access").Obj(),
		MakePermissionSet("agency-y", "reports").Caps("reports.access").Obj(),
		MakeTenant("initech").Obj(),
		MakeMember("initech", "peter").SuperAdmin().Obj(),
		MakePartnerAccess("initech", "agency-y").ApprovedBy("peter@initech.example").Admin("dora@agency-y.example").Obj(),
	)
	settled(t)

	t.Run("1 the last active SuperAdmin", func(t *testing.T) {
		carol := get(t, MakeMember("acme", "carol").Obj())
		off := carol.DeepCopy()
		off.Spec.Active = ptr.To(false)
		refused(t, "deactivate", update(off), `cannot deactivate member "carol": carol@acme.example is the last active SuperAdmin of tenant "acme"; make another member SuperAdmin first`)
		demoted := carol.DeepCopy()
		demoted.Spec.AccountRole, demoted.Spec.Role = accessv1.AccountRoleStandard, "sales"
		refused(t, "demote", update(demoted), `cannot demote member "carol"`)
		refused(t, "delete", k8s.Delete(ctx, carol.DeepCopy()), `cannot delete member "carol"`)

		apply(t, MakeMember("acme", "erin").SuperAdmin().Obj())
		settled(t)
		allowed(t, "demote while another SuperAdmin remains", update(demoted))
		settled(t)
		erin := get(t, MakeMember("acme", "erin").Obj())
		refused(t, "delete the one left", k8s.Delete(ctx, erin), `cannot delete member "erin"`)
		back := get(t, MakeMember("acme", "carol").Obj())
		back.Spec.AccountRole, back.Spec.Role = accessv1.AccountRoleSuperAdmin, ""
		allowed(t, "promote back", update(back))
	})

	t.Run("3 unique e-mails", func(t *testing.T) {
		refused(t, "duplicate", k8s.Create(ctx, MakeMember("acme", "carol2").Email("carol@acme.example").Role("sales").Obj()),
			`e-mail carol@acme.example is used by members "carol" and "carol2" of tenant "acme"`)
		allowed(t, "same e-mail in another tenant", k8s.Create(ctx, MakeMember("initech", "carol").Email("carol@acme.example").Role("ceo").Obj()))
		refused(t, "malformed (CEL)", k8s.Create(ctx, MakeMember("acme", "bad").Email("not-an-address").Role("sales").Obj()), "is not a valid e-mail address")
	})

	t.Run("2 role required (CEL)", func(t *testing.T) {
		refused(t, "standard without role", k8s.Create(ctx, MakeMember("acme", "norole").Obj()), "must have a role")
	})

	t.Run("2 no role for Admin and Developer (CEL)", func(t *testing.T) {
		refused(t, "admin with a role", k8s.Create(ctx, MakeMember("acme", "adm").Admin().Role("sales").Obj()), "must not have a role")
		allowed(t, "admin without one", k8s.Create(ctx, MakeMember("acme", "adm").Admin().Obj()))
	})

	t.Run("12 Department mode needs rules or an explicit default (CEL)", func(t *testing.T) {
		refused(t, "Department, no rules, no default", k8s.Create(ctx, MakePolicy("initech").Mode(accessv1.ModeDepartment).Obj()),
			"would open every record to every member")
		allowed(t, "Department with departmentDefault None", k8s.Create(ctx, MakePolicy("initech").Mode(accessv1.ModeDepartment).DeptDefault(accessv1.AccessNone).Obj()))
	})

	t.Run("13 one VisibilityPolicy named default (CEL)", func(t *testing.T) {
		refused(t, "another name", k8s.Create(ctx, MakePolicy("acme").Name("second").Obj()), "must be named default, not second")
	})

	t.Run("4 one tree", func(t *testing.T) {
		sales := get(t, MakeRole("acme", "sales").Obj())
		sales.Spec.ReportsTo = "sales-jr"
		refused(t, "cycle", update(sales), `Role.access.tenancy.dev "sales" is invalid: [spec.reportsTo: Forbidden: Role "sales" reports to "sales-jr", which closes a cycle (sales > sales-jr > sales)`)
	})

	t.Run("5 ceo and roles in use", func(t *testing.T) {
		ceo := get(t, MakeRole("acme", accessv1.CEORole).Obj())
		refused(t, "delete ceo", k8s.Delete(ctx, ceo.DeepCopy()), "Role ceo is built in and cannot be deleted")
		withParent := ceo.DeepCopy()
		withParent.Spec.ReportsTo = "sales"
		refused(t, "ceo with a parent", k8s.Update(ctx, withParent), "cannot have a parent")
		refused(t, "delete a role in use", k8s.Delete(ctx, get(t, MakeRole("acme", "sales").Obj())),
			`cannot delete role "sales": member "dan" and role "sales-jr" still use it; give them another role or parent first`)
		apply(t, MakeRole("acme", "unused").Obj())
		settled(t)
		allowed(t, "delete a role nobody uses", k8s.Delete(ctx, get(t, MakeRole("acme", "unused").Obj())))
	})

	t.Run("6 the role limit", func(t *testing.T) {
		allowed(t, "third role", k8s.Create(ctx, MakeRole("acme", "third").Obj()))
		settled(t)
		refused(t, "fourth role", k8s.Create(ctx, MakeRole("acme", "fourth").Obj()), `tenant "acme" has 4 custom roles, more than its limit of 3`)
	})

	t.Run("9 migration", func(t *testing.T) {
		refused(t, "migrate someone else", k8s.Create(ctx, MakePartnerAccess("acme", "agency-y").ApprovedBy("carol@acme.example").MigratedAdmin("dora@agency-y.example", "bob", false).Obj()),
			"only oneself can migrate")
		allowed(t, "migrate oneself", k8s.Create(ctx, MakePartnerAccess("acme", "agency-y").ApprovedBy("carol@acme.example").MigratedAdmin("bob@agency-y.example", "bob", false).Obj()))
	})

	t.Run("10 delegation", func(t *testing.T) {
		finn := MakeMember("agency-y", "finn").Role("ceo").ClientAccess("initech", "dora@agency-y.example", "money").Obj()
		refused(t, "beyond the admin", k8s.Create(ctx, finn), `grants billing.access, which partner admin dora@agency-y.example does not hold there`)
		allowed(t, "within", k8s.Create(ctx, MakeMember("agency-y", "finn").Role("ceo").ClientAccess("initech", "dora@agency-y.example", "reports").Obj()))
	})

	// Revocation always takes effect: the client narrows its admin although
	// a staff delegation then exceeds; only the intersection is granted and
	// finn's EffectivePermission says what was dropped.
	t.Run("10 a client narrows its partner admin under a delegation in force", func(t *testing.T) {
		setBilling := func(on bool) error {
			pa := get(t, MakePartnerAccess("initech", "agency-y").Obj())
			pa.Spec.PartnerAdmins[0].BillingAccess = on
			return update(pa)
		}
		allowed(t, "give the admin billing", setBilling(true))
		settled(t)
		finn := get(t, MakeMember("agency-y", "finn").Obj())
		finn.Spec.ClientAccess[0].PermissionSets = []string{"money"}
		allowed(t, "delegate billing", update(finn))
		settled(t)
		allowed(t, "take billing back from the admin", setBilling(false))
		testenv.Eventually(t, 20*time.Second, "finn's billing gone, Degraded", func() (bool, string) {
			var ep accessv1.EffectivePermission
			if err := k8s.Get(ctx, client.ObjectKey{Namespace: "initech", Name: "agency-y.finn"}, &ep); err != nil {
				return false, err.Error()
			}
			d := meta.FindStatusCondition(ep.Status.Conditions, accessv1.ConditionDegraded)
			return !slices.Contains(ep.Spec.Capabilities, "billing.access") && slices.Contains(ep.Spec.Capabilities, "reports.access") &&
					d != nil && d.Status == metav1.ConditionTrue && d.Reason == accessv1.ReasonDelegationExceeded,
				fmt.Sprintf("capabilities %v, Degraded %+v", ep.Spec.Capabilities, d)
		})
	})

	t.Run("14 one Tenant per namespace", func(t *testing.T) {
		refused(t, "second tenant", k8s.Create(ctx, MakeTenant("aaa").Namespace("acme").Obj()), `Tenant "aaa" claims namespace "acme", which Tenant "acme" already holds`)
		acme := get(t, MakeTenant("acme").Obj())
		acme.Spec.Namespace = "elsewhere"
		refused(t, "move (CEL)", update(acme), "namespace")
	})

	t.Run("16 EffectivePermissions are the controller's", func(t *testing.T) {
		ep := MakeEffectivePermission("acme", "mallory").User("mallory@acme.example").Obj()
		refused(t, "write one", k8s.Create(ctx, ep), "is written only by access-controller")
		var eps accessv1.EffectivePermissionList
		deadline := time.Now().Add(20 * time.Second)
		for len(eps.Items) == 0 && time.Now().Before(deadline) {
			_ = k8s.List(ctx, &eps, client.InNamespace("acme")) // written by the controller through the same webhook
			time.Sleep(200 * time.Millisecond)
		}
		if len(eps.Items) == 0 {
			t.Fatal("the controller wrote no EffectivePermission in acme")
		}
		refused(t, "delete one", k8s.Delete(ctx, &eps.Items[0]), "is written only by access-controller")
	})

	t.Run("17 the built-in partner-admin set", func(t *testing.T) {
		pas := get(t, MakePermissionSet("acme", accessv1.PartnerAdminPermissionSet).Obj())
		wider := pas.DeepCopy()
		wider.Spec.Capabilities = append(wider.Spec.Capabilities, "billing.access")
		refused(t, "widen", update(wider), "PermissionSet partner-admin is built in")
		labelled := pas.DeepCopy()
		labelled.Labels = map[string]string{"team": "platform"}
		allowed(t, "label it", update(labelled))
	})

	t.Run("a whole tenant can be deleted", func(t *testing.T) {
		allowed(t, "delete the Tenant", k8s.Delete(ctx, get(t, MakeTenant("initech").Obj())))
		settled(t)
		allowed(t, "then its last SuperAdmin", k8s.Delete(ctx, get(t, MakeMember("initech", "peter").Obj())))
	})

	t.Run("other kinds are never held up", func(t *testing.T) {
		allowed(t, "a ConfigMap", k8s.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: "unrelated"}}))
	})
}

// webhooks is a test manager's Runner for the admission webhooks, as
// cmd/manager sets them up, with claims tuned by c.
func webhooks(c webhook.ClaimOptions) testenv.Runner {
	return func(ctx context.Context, mgr ctrl.Manager, now func() time.Time) error {
		return webhook.Setup(ctx, mgr, webhook.Options{Now: now, Claims: c})
	}
}
