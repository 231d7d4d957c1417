package gather

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// lastApplied is the annotation `kubectl apply` (client-side) keeps a full
// copy of the object in.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// TrimForCache is the informer cache's transform (cache.Options'
// DefaultTransform): for the objects of our kinds, it drops what no
// reader of the cache uses, before the object is stored — each managed
// fields entry's field set (the bulk of managedFields; the manager, the
// operation and the time stay, for the audit trail's "changed by") and,
// except on EffectivePermissions, kubectl's last-applied-configuration
// annotation (a second copy of the whole object). The engine reads specs,
// labels, owners and deletion state; the controllers compare those, never
// the dropped parts. Every write they make is a whole-spec replace, a
// status merge patch or a create, except an EffectivePermission's update,
// which sends the cached object's metadata back without its managed fields
// (controllers' replaceEP; the API server then keeps its own): so an
// EffectivePermission keeps all its metadata but those field sets, and an
// update never drops an annotation someone allowed to write one put there.
// Other kinds (the admission claims' Leases, which are updated
// whole) are left as they are. It returns obj itself, changed in place, as
// controller-runtime's transforms do.
func TrimForCache(obj any) (any, error) {
	var o metav1.Object
	switch x := obj.(type) {
	case *accessv1.Tenant, *accessv1.Member, *accessv1.Role, *accessv1.PermissionSet,
		*accessv1.PartnerAccess, *accessv1.VisibilityPolicy, *accessv1.EffectivePermission:
		o = x.(metav1.Object)
	default:
		return obj, nil
	}
	if mf := o.GetManagedFields(); len(mf) > 0 {
		trimmed := make([]metav1.ManagedFieldsEntry, len(mf))
		for i, e := range mf {
			e.FieldsV1 = nil
			trimmed[i] = e
		}
		o.SetManagedFields(trimmed)
	}
	if _, ep := obj.(*accessv1.EffectivePermission); ep {
		return obj, nil
	}
	if a := o.GetAnnotations(); a[lastApplied] != "" {
		delete(a, lastApplied)
		o.SetAnnotations(a)
	}
	return obj, nil
}

var _ cache.TransformFunc = TrimForCache
