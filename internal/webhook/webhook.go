// Package webhook serves the validating admission webhooks of
// access-controller. It decides nothing itself: each request is read into
// an engine.Change and judged by engine.Admit against the inputs in the
// manager's cache, the same engine and the same findings that `accessctl
// validate` and the controller use. See docs/admission.md.
package webhook

import (
	"context"
	"crypto/tls"
	"fmt"
	"reflect"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/gather"
)

// The webhooks: one per kind whose invariants need other objects, and the
// status subresource of every kind (only the controller writes statuses;
// the VisibilityPolicy's own invariants are all CEL). failurePolicy Fail:
// while the webhook is down, requests on these kinds are refused rather than
// let through unchecked; the rules name only this API group, so nothing else
// is ever held up (docs/admission.md).
//
// +kubebuilder:webhook:path=/validate-access-tenancy-dev-v1alpha1-tenant,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.tenancy.dev,resources=tenants;tenants/status,verbs=create;update;delete,versions=v1alpha1,name=vtenant.access.tenancy.dev,admissionReviewVersions=v1,timeoutSeconds=5
// +kubebuilder:webhook:path=/validate-access-tenancy-dev-v1alpha1-member,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.tenancy.dev,resources=members;members/status,verbs=create;update;delete,versions=v1alpha1,name=vmember.access.tenancy.dev,admissionReviewVersions=v1,timeoutSeconds=5
// +kubebuilder:webhook:path=/validate-access-tenancy-dev-v1alpha1-role,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.tenancy.dev,resources=roles;roles/status,verbs=create;update;delete,versions=v1alpha1,name=vrole.access.tenancy.dev,admissionReviewVersions=v1,timeoutSeconds=5
// +kubebuilder:webhook:path=/validate-access-tenancy-dev-v1alpha1-permissionset,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.tenancy.dev,resources=permissionsets;permissionsets/status,verbs=create;update;delete,versions=v1alpha1,name=vpermissionset.access.tenancy.dev,admissionReviewVersions=v1,timeoutSeconds=5
// +kubebuilder:webhook:path=/validate-access-tenancy-dev-v1alpha1-partneraccess,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.tenancy.dev,resources=partneraccesses;partneraccesses/status,verbs=create;update;delete,versions=v1alpha1,name=vpartneraccess.access.tenancy.dev,admissionReviewVersions=v1,timeoutSeconds=5
// +kubebuilder:webhook:path=/validate-access-tenancy-dev-v1alpha1-visibilitypolicy,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.tenancy.dev,resources=visibilitypolicies/status,verbs=update,versions=v1alpha1,name=vvisibilitypolicy.access.tenancy.dev,admissionReviewVersions=v1,timeoutSeconds=5
// +kubebuilder:webhook:path=/validate-access-tenancy-dev-v1alpha1-effectivepermission,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.tenancy.dev,resources=effectivepermissions;effectivepermissions/status,verbs=create;update;delete,versions=v1alpha1,name=veffectivepermission.access.tenancy.dev,admissionReviewVersions=v1,timeoutSeconds=5

// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get
// +kubebuilder:rbac:groups=authentication.k8s.io,resources=selfsubjectreviews,verbs=create

// DefaultCleanupUsers are the identities of Kubernetes cleaning up: the
// garbage collector and the namespace controller of kube-controller-manager
// (with its --use-service-account-credentials, the default of kubeadm and
// of managed clusters). A cluster whose controllers run under other names
// passes them with --cleanup-users.
var DefaultCleanupUsers = []string{
	"system:serviceaccount:kube-system:generic-garbage-collector",
	"system:serviceaccount:kube-system:namespace-controller",
}

// Options configure the webhooks.
type Options struct {
	// Now is the clock of the judgements (default time.Now).
	Now func() time.Time
	// CleanupUsers delete what Kubernetes removes (default
	// DefaultCleanupUsers).
	CleanupUsers []string
	// Claims tune the per-tenant claims of cross-object judgements.
	Claims ClaimOptions
}

// Setup registers the webhooks with the manager. The controller's own
// user name (its service account) is asked of the API server, so that only
// it may write EffectivePermissions, statuses and the built-ins.
func Setup(ctx context.Context, mgr ctrl.Manager, o Options) error {
	review := &authenticationv1.SelfSubjectReview{}
	if err := mgr.GetClient().Create(ctx, review); err != nil {
		return fmt.Errorf("asking the API server who the controller is (SelfSubjectReview): %w", err)
	}
	if err := gather.SetupIndexes(ctx, mgr.GetFieldIndexer()); err != nil {
		return err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.CleanupUsers == nil {
		o.CleanupUsers = DefaultCleanupUsers
	}
	cleanup := map[string]bool{}
	for _, u := range o.CleanupUsers {
		cleanup[u] = true
	}
	a := &admitter{cache: mgr.GetClient(), live: mgr.GetAPIReader(), now: o.Now,
		controller: review.Status.UserInfo.Username, cleanup: cleanup,
		claims: newClaims(o.Claims, mgr.GetClient(), mgr.GetAPIReader())}
	return register(mgr,
		validator[*accessv1.Tenant]{a}, validator[*accessv1.Member]{a}, validator[*accessv1.Role]{a},
		validator[*accessv1.PermissionSet]{a}, validator[*accessv1.PartnerAccess]{a}, validator[*accessv1.EffectivePermission]{a},
		validator[*accessv1.VisibilityPolicy]{a})
}

func register(mgr ctrl.Manager, vs ...interface{ register(ctrl.Manager) error }) error {
	for _, v := range vs {
		if err := v.register(mgr); err != nil {
			return err
		}
	}
	return nil
}

// admitter turns an admission request into an engine.Change and asks
// engine.Admit.
type admitter struct {
	cache      client.Reader // the manager's cache: the inputs as the controller sees them
	live       client.Reader // the API server itself: a tenant's objects under its claim, a namespace's deletion
	now        func() time.Time
	controller string          // the controller's user name
	cleanup    map[string]bool // Kubernetes cleaning up
	claims     *claims
}

// validator is the typed controller-runtime validator of one kind.
type validator[T client.Object] struct{ a *admitter }

func (v validator[T]) register(mgr ctrl.Manager) error {
	obj := reflect.New(reflect.TypeFor[T]().Elem()).Interface().(T)
	return ctrl.NewWebhookManagedBy(mgr, obj).WithValidator(v).Complete()
}

func (v validator[T]) ValidateCreate(ctx context.Context, obj T) (admission.Warnings, error) {
	return nil, v.a.admit(ctx, engine.Create, nil, obj)
}

func (v validator[T]) ValidateUpdate(ctx context.Context, old, obj T) (admission.Warnings, error) {
	return nil, v.a.admit(ctx, engine.Update, old, obj)
}

func (v validator[T]) ValidateDelete(ctx context.Context, obj T) (admission.Warnings, error) {
	return nil, v.a.admit(ctx, engine.Delete, obj, nil)
}

func (a *admitter) admit(ctx context.Context, op engine.Operation, old, obj client.Object) error {
	req, err := admission.RequestFromContext(ctx)
	if err != nil {
		return err
	}
	target := obj
	if target == nil {
		target = old
	}
	by := a.requester(req.UserInfo.Username)
	if req.SubResource != "" {
		return a.admitSubresource(req, target, by)
	}
	ns := target.GetNamespace()
	if t, ok := target.(*accessv1.Tenant); ok {
		ns = t.NamespaceOrDefault()
	}
	also := []client.Object{}
	if obj != nil {
		also = append(also, obj)
	}
	ch := engine.Change{Operation: op, By: by}
	if old != nil {
		ch.Old = old
	}
	if obj != nil {
		ch.New = obj
	}
	var snap *engine.Snapshot
	if op == engine.Delete {
		if snap, err = gather.Gather(ctx, a.cache, ns); err != nil {
			return unavailable(err)
		}
		ch.TenantGone = a.tenantGone(ctx, snap, ns)
	}
	var held *claim
	if needsClaim(ch) {
		// Judged against what the API server holds now, one request of the
		// tenant at a time (docs/admission.md, "Atomic judgements").
		if held, err = a.claims.acquire(ctx, ns, string(req.UID)); err != nil {
			return err
		}
		_, isTenant := target.(*accessv1.Tenant)
		snap, err = gather.Live(ctx, a.cache, a.live, ns, isTenant, also...)
	} else if snap == nil { // a delete has read the cache already
		snap, err = gather.Gather(ctx, a.cache, ns, also...)
	}
	if err != nil {
		if held != nil {
			held.release()
		}
		return unavailable(err)
	}
	refusals := engine.Admit(snap, ch, a.now())
	if held != nil {
		if len(refusals) > 0 || ptr.Deref(req.DryRun, false) {
			held.release() // nothing will be written
		} else {
			held.releaseWhenVisible(visibleAfter(a.live, op, old, obj))
		}
	}
	if len(refusals) == 0 {
		return nil
	}
	countRefusal(req.Kind.Kind, refusals)
	return refuse(req, target, op, refusals)
}

// Fail closed: what cannot be judged is not admitted.
func unavailable(err error) error {
	return apierrors.NewServiceUnavailable(fmt.Sprintf("access-controller cannot read the tenant's inputs to judge this request (%v); try again", err))
}

// needsClaim says whether a request could break a cross-object invariant of
// its tenant and so must be judged under the tenant's claim: a create,
// delete or spec change of a Tenant, Member, Role or PartnerAccess by anyone
// but the controller (the last SuperAdmin, unique e-mails, the role tree,
// the role limit, roles in use, migrations). Metadata-only updates (labels,
// finalizers) and the other kinds are judged from the cache.
func needsClaim(ch engine.Change) bool {
	if ch.By == engine.TheController || ch.TenantGone {
		return false
	}
	obj := ch.New
	if obj == nil {
		obj = ch.Old
	}
	switch obj.(type) {
	case *accessv1.Tenant, *accessv1.Member, *accessv1.Role, *accessv1.PartnerAccess:
	default:
		return false
	}
	if ch.Operation != engine.Update {
		return true
	}
	return !reflect.DeepEqual(reflect.ValueOf(ch.Old).Elem().FieldByName("Spec").Interface(),
		reflect.ValueOf(ch.New).Elem().FieldByName("Spec").Interface())
}

// admitSubresource: statuses (and any other subresource) are the
// controller's to write; a status someone else writes would tell
// applications something the engine did not compute (a forged
// VisibilityPolicy status.modeChanges would have them convert records).
func (a *admitter) admitSubresource(req admission.Request, obj client.Object, by engine.Requester) error {
	if by == engine.TheController {
		return nil
	}
	return apierrors.NewForbidden(schema.GroupResource{Group: req.Resource.Group, Resource: req.Resource.Resource + "/" + req.SubResource}, obj.GetName(),
		fmt.Errorf("%s %q: the %s is written only by access-controller (%s), from the engine's computation; change the object's spec instead",
			req.Kind.Kind, obj.GetName(), req.SubResource, a.controller))
}

func (a *admitter) requester(user string) engine.Requester {
	switch {
	case user == a.controller:
		return engine.TheController
	case a.cleanup[user]:
		return engine.TheCluster
	}
	return engine.Someone
}

// tenantGone: the namespace's Tenant is absent or being deleted, or the
// namespace itself is.
func (a *admitter) tenantGone(ctx context.Context, snap *engine.Snapshot, ns string) bool {
	claimed := false
	for _, t := range snap.Tenants {
		if t.NamespaceOrDefault() == ns {
			claimed = true
			if t.DeletionTimestamp != nil {
				return true
			}
		}
	}
	if !claimed {
		return true
	}
	var n corev1.Namespace
	if err := a.live.Get(ctx, types.NamespacedName{Name: ns}, &n); err != nil {
		return apierrors.IsNotFound(err)
	}
	return n.DeletionTimestamp != nil
}

// refuse turns refusals into the API error people read: for a create or an
// update, "Kind "name" is invalid: field: Forbidden: message" for each; for
// a delete, "... is forbidden: message".
func refuse(req admission.Request, obj client.Object, op engine.Operation, refusals []engine.Finding) error {
	gk := schema.GroupKind{Group: req.Kind.Group, Kind: req.Kind.Kind}
	if op == engine.Delete {
		msgs := make([]string, len(refusals))
		for i, f := range refusals {
			msgs[i] = f.Message
		}
		return apierrors.NewForbidden(schema.GroupResource{Group: req.Resource.Group, Resource: req.Resource.Resource}, obj.GetName(), fmt.Errorf("%s", strings.Join(msgs, "; ")))
	}
	var errs field.ErrorList
	for _, f := range refusals {
		path := field.NewPath(f.Field)
		if ref, _ := engine.RefOf(obj); f.Object != ref {
			// Another object's finding (its message names it and its
			// field): this request's spec brings it about.
			path = field.NewPath("spec")
		}
		errs = append(errs, field.Forbidden(path, f.Message))
	}
	return apierrors.NewInvalid(gk, obj.GetName(), errs)
}

// HTTP1Only is the webhook server's TLS option: HTTP/1.1 only, because
// HTTP/2's stream handling was the way in for the Rapid Reset attacks
// (CVE-2023-44487, CVE-2023-39325). The API server then opens a connection
// per concurrent request.
func HTTP1Only(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }
