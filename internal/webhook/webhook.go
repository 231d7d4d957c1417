// Package webhook serves the validating admission webhooks of
// access-controller. It decides nothing itself: each request is read into
// an engine.Change and judged by engine.Admit against the inputs in the
// manager's cache, the same engine and the same findings that `accessctl
// validate` and the controller use. See docs/admission.md.
package webhook

import (
	"context"
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
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/gather"
)

// The webhooks: one per kind whose invariants need other objects (the
// VisibilityPolicy's are all CEL). failurePolicy Fail: while the webhook is
// down, requests on these kinds are refused rather than let through
// unchecked; the rules name only this API group, so nothing else is ever
// held up (docs/admission.md).
//
// +kubebuilder:webhook:path=/validate-access-tenancy-dev-v1alpha1-tenant,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.tenancy.dev,resources=tenants,verbs=create;update;delete,versions=v1alpha1,name=vtenant.access.tenancy.dev,admissionReviewVersions=v1,timeoutSeconds=5
// +kubebuilder:webhook:path=/validate-access-tenancy-dev-v1alpha1-member,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.tenancy.dev,resources=members,verbs=create;update;delete,versions=v1alpha1,name=vmember.access.tenancy.dev,admissionReviewVersions=v1,timeoutSeconds=5
// +kubebuilder:webhook:path=/validate-access-tenancy-dev-v1alpha1-role,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.tenancy.dev,resources=roles,verbs=create;update;delete,versions=v1alpha1,name=vrole.access.tenancy.dev,admissionReviewVersions=v1,timeoutSeconds=5
// +kubebuilder:webhook:path=/validate-access-tenancy-dev-v1alpha1-permissionset,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.tenancy.dev,resources=permissionsets,verbs=create;update;delete,versions=v1alpha1,name=vpermissionset.access.tenancy.dev,admissionReviewVersions=v1,timeoutSeconds=5
// +kubebuilder:webhook:path=/validate-access-tenancy-dev-v1alpha1-partneraccess,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.tenancy.dev,resources=partneraccesses,verbs=create;update;delete,versions=v1alpha1,name=vpartneraccess.access.tenancy.dev,admissionReviewVersions=v1,timeoutSeconds=5
// +kubebuilder:webhook:path=/validate-access-tenancy-dev-v1alpha1-effectivepermission,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.tenancy.dev,resources=effectivepermissions,verbs=create;update;delete,versions=v1alpha1,name=veffectivepermission.access.tenancy.dev,admissionReviewVersions=v1,timeoutSeconds=5

// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get
// +kubebuilder:rbac:groups=authentication.k8s.io,resources=selfsubjectreviews,verbs=create

// Cluster cleanup identities: they delete what Kubernetes removes.
var clusterUsers = map[string]bool{
	"system:serviceaccount:kube-system:generic-garbage-collector": true,
	"system:serviceaccount:kube-system:namespace-controller":      true,
}

// Setup registers the webhooks with the manager. The controller's own
// user name (its service account) is asked of the API server, so that only
// it may write EffectivePermissions and the built-ins.
func Setup(ctx context.Context, mgr ctrl.Manager, now func() time.Time) error {
	review := &authenticationv1.SelfSubjectReview{}
	if err := mgr.GetClient().Create(ctx, review); err != nil {
		return fmt.Errorf("asking the API server who the controller is (SelfSubjectReview): %w", err)
	}
	if err := gather.SetupIndexes(ctx, mgr.GetFieldIndexer()); err != nil {
		return err
	}
	a := &admitter{cache: mgr.GetClient(), live: mgr.GetAPIReader(), now: now, controller: review.Status.UserInfo.Username}
	return register(mgr,
		validator[*accessv1.Tenant]{a}, validator[*accessv1.Member]{a}, validator[*accessv1.Role]{a},
		validator[*accessv1.PermissionSet]{a}, validator[*accessv1.PartnerAccess]{a}, validator[*accessv1.EffectivePermission]{a})
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
	live       client.Reader // the API server itself, for a namespace's deletion
	now        func() time.Time
	controller string // the controller's user name
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
	ns := target.GetNamespace()
	if t, ok := target.(*accessv1.Tenant); ok {
		ns = t.NamespaceOrDefault()
	}
	also := []client.Object{}
	if obj != nil {
		also = append(also, obj)
	}
	snap, err := gather.Gather(ctx, a.cache, ns, also...)
	if err != nil {
		// Fail closed: what cannot be judged is not admitted.
		return apierrors.NewServiceUnavailable(fmt.Sprintf("access-controller cannot read the tenant's inputs to judge this request (%v); try again", err))
	}
	ch := engine.Change{Operation: op, By: a.requester(req.UserInfo.Username)}
	if old != nil {
		ch.Old = old
	}
	if obj != nil {
		ch.New = obj
	}
	if op == engine.Delete {
		ch.TenantGone = a.tenantGone(ctx, snap, ns)
	}
	refusals := engine.Admit(snap, ch, a.now())
	if len(refusals) == 0 {
		return nil
	}
	return refuse(req, target, op, refusals)
}

func (a *admitter) requester(user string) engine.Requester {
	switch {
	case user == a.controller:
		return engine.TheController
	case clusterUsers[user]:
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
