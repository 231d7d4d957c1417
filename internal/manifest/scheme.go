package manifest

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// deserializer decodes JSON into the API's Go types through the scheme, in
// strict mode (unknown and duplicate fields are errors). It performs no
// conversion and no defaulting: UniversalDeserializer only decodes.
var deserializer = func() runtime.Decoder {
	s := runtime.NewScheme()
	utilruntime.Must(accessv1.AddToScheme(s))
	return serializer.NewCodecFactory(s, serializer.EnableStrict).UniversalDeserializer()
}()

// kinds are the kinds accessctl reads, in the order api.md lists them.
var kinds = []string{"Tenant", "Member", "Role", "PermissionSet", "PartnerAccess", "VisibilityPolicy", "EffectivePermission"}

// Resource is a decoded object: a pointer to one of the kinds' Go types.
type Resource interface {
	runtime.Object
	metav1.Object
}

// kindOf returns the kind of one of the seven input types. The scheme also
// knows meta types (ListOptions, Status, ...) and the typed lists; those are
// not manifests, so ok is false for them.
func kindOf(obj runtime.Object) (kind string, res Resource, ok bool) {
	switch o := obj.(type) {
	case *accessv1.Tenant:
		return "Tenant", o, true
	case *accessv1.Member:
		return "Member", o, true
	case *accessv1.Role:
		return "Role", o, true
	case *accessv1.PermissionSet:
		return "PermissionSet", o, true
	case *accessv1.PartnerAccess:
		return "PartnerAccess", o, true
	case *accessv1.VisibilityPolicy:
		return "VisibilityPolicy", o, true
	case *accessv1.EffectivePermission:
		return "EffectivePermission", o, true
	}
	return "", nil, false
}

// clusterScoped says whether a kind has no namespace. The engine names a
// Tenant without one whatever metadata.namespace says (the API server ignores
// it too), so refs must match.
func clusterScoped(kind string) bool { return kind == "Tenant" }

// unknownKindMessage explains an apiVersion/kind pair accessctl cannot read,
// saying what it can.
func unknownKindMessage(gvk schema.GroupVersionKind) string {
	gv := gvk.GroupVersion().String()
	switch {
	case gvk.GroupVersion() == accessv1.GroupVersion && strings.HasSuffix(gvk.Kind, "List"):
		return fmt.Sprintf("kind %q is not read: use kind: List (apiVersion: v1) with items, or one object per document", gvk.Kind)
	case gvk.GroupVersion() == accessv1.GroupVersion:
		return fmt.Sprintf("unknown kind %q: want one of %s", gvk.Kind, strings.Join(kinds, ", "))
	case gvk.Group == accessv1.GroupVersion.Group:
		return fmt.Sprintf("unknown apiVersion %q: want %s", gv, accessv1.GroupVersion)
	default:
		return fmt.Sprintf("unknown apiVersion %q (kind %q): accessctl reads %s objects and v1 Lists of them", gv, gvk.Kind, accessv1.GroupVersion)
	}
}
