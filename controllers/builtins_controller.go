package controllers

import (
	"context"
	"time"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/gather"
)

// BuiltinsReconciler keeps the built-in ceo Role and partner-admin
// PermissionSet, as the engine defines them, in every tenant namespace, and
// reverts any change to them.
type BuiltinsReconciler struct {
	client.Client
	// Shard selects the Tenants whose built-ins this manager writes
	// (shard.go); nil: every tenant.
	Shard labels.Selector
}

// +kubebuilder:rbac:groups=access.tenancy.dev,resources=roles;permissionsets,verbs=get;list;watch;create;update;patch

// Reconcile applies the built-ins of one Tenant when they are missing or
// differ from the engine's definition.
func (r *BuiltinsReconciler) Reconcile(ctx context.Context, req reconcile.Request) (ctrl.Result, error) {
	var t accessv1.Tenant
	if err := r.Get(ctx, req.NamespacedName, &t); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !tenantInShard(r.Shard, &t) {
		return ctrl.Result{}, nil
	}
	ns := t.NamespaceOrDefault()
	labels := map[string]string{LabelManagedBy: FieldOwner}

	ceo := engine.BuiltinCEORole(ns)
	var haveRole accessv1.Role
	if err := r.ensure(ctx, ceo, &haveRole, ceo.Spec, func() any { return haveRole.Spec }, labels); err != nil {
		return retryLater(ctx, err)
	}
	set := engine.BuiltinPartnerAdminSet(ns)
	var haveSet accessv1.PermissionSet
	if err := r.ensure(ctx, set, &haveSet, set.Spec, func() any { return haveSet.Spec }, labels); err != nil {
		return retryLater(ctx, err)
	}
	return ctrl.Result{}, nil
}

// ensure creates a built-in that is missing (server-side apply) and
// replaces the spec of one that drifted (replaceSpec), writing nothing when
// it matches.
func (r *BuiltinsReconciler) ensure(ctx context.Context, want, have client.Object, spec any, haveSpec func() any, labels map[string]string) error {
	err := r.Get(ctx, client.ObjectKeyFromObject(want), have)
	switch {
	case apierrors.IsNotFound(err):
		want.SetLabels(labels)
		return r.applyTyped(ctx, want)
	case err != nil:
		return err
	case apiequality.Semantic.DeepEqual(haveSpec(), spec) && labelsMatch(have.GetLabels(), labels):
		return nil
	}
	merged := map[string]string{}
	for k, v := range have.GetLabels() {
		merged[k] = v
	}
	for k, v := range labels {
		merged[k] = v
	}
	return replaceSpec(ctx, r.Client, have, spec, merged, have.GetOwnerReferences())
}

// retryLater waits for a namespace that does not exist yet rather than
// failing hot.
func retryLater(ctx context.Context, err error) (ctrl.Result, error) {
	if apierrors.IsNotFound(err) {
		ctrl.LoggerFrom(ctx).Info("Tenant namespace does not exist yet; built-ins wait for it", "error", err.Error())
		return ctrl.Result{RequeueAfter: 10 * time.Second}, nil
	}
	return ctrl.Result{}, err
}

func (r *BuiltinsReconciler) applyTyped(ctx context.Context, obj client.Object) error {
	u, err := toUnstructuredObject(obj)
	if err != nil {
		return err
	}
	return r.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldOwner), client.ForceOwnership)
}

// SetupWithManager reconciles Tenants and maps changes to the built-ins back
// to the Tenant that claims their namespace.
func (r *BuiltinsReconciler) SetupWithManager(mgr ctrl.Manager) error {
	toTenant := handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, o client.Object) []reconcile.Request {
		if o.GetName() != accessv1.CEORole && o.GetName() != accessv1.PartnerAdminPermissionSet {
			return nil
		}
		var tenants accessv1.TenantList
		if err := r.List(ctx, &tenants, client.MatchingFields{gather.IndexTenantNamespace: o.GetNamespace()}); err != nil {
			return nil
		}
		var out []reconcile.Request
		for _, t := range tenants.Items {
			out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Name: t.Name}})
		}
		return out
	})
	return ctrl.NewControllerManagedBy(mgr).
		Named("builtins").
		For(&accessv1.Tenant{}).
		Watches(&accessv1.Role{}, toTenant).
		Watches(&accessv1.PermissionSet{}, toTenant).
		Complete(r)
}
