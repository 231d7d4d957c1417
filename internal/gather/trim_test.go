package gather

import (
	"reflect"
	"testing"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

func TestTrimForCache(t *testing.T) {
	meta := func() metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: "x", Labels: map[string]string{"a": "b"},
			Annotations: map[string]string{lastApplied: `{"spec":{}}`, "keep": "me"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply,
				FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(`{"f:spec":{}}`)}}}
	}
	m := &accessv1.Member{ObjectMeta: meta(), Spec: accessv1.MemberSpec{Email: "a@b.example"}}
	got, err := TrimForCache(m)
	if err != nil || got != m {
		t.Fatalf("TrimForCache = %v, %v; want the object itself", got, err)
	}
	if mf := m.ManagedFields; len(mf) != 1 || mf[0].Manager != "kubectl" || mf[0].FieldsV1 != nil {
		t.Errorf("managedFields = %+v; want the manager kept and the field set dropped", mf)
	}
	if _, ok := m.Annotations[lastApplied]; ok || m.Annotations["keep"] != "me" || m.Labels["a"] != "b" || m.Spec.Email != "a@b.example" {
		t.Errorf("trimmed %+v: want only last-applied-configuration dropped", m.ObjectMeta)
	}
	// An EffectivePermission's update sends its metadata back as cached
	// (controllers' replaceEP): everything but the managed fields' field
	// sets must come through whole.
	ep := &accessv1.EffectivePermission{ObjectMeta: meta()}
	ep.Finalizers = []string{"example.com/hold"}
	ep.OwnerReferences = []metav1.OwnerReference{{APIVersion: "access.tenancy.dev/v1alpha1", Kind: "Member", Name: "x", UID: "u"}}
	ep.Generation, ep.ResourceVersion, ep.UID = 3, "42", "ep-uid"
	want := ep.ObjectMeta.DeepCopy()
	want.ManagedFields[0].FieldsV1 = nil
	if _, err := TrimForCache(ep); err != nil || !reflect.DeepEqual(&ep.ObjectMeta, want) {
		t.Errorf("an EffectivePermission trimmed to %+v; want %+v (only the field sets dropped)", ep.ObjectMeta, *want)
	}
	l := &coordinationv1.Lease{ObjectMeta: meta()}
	if _, err := TrimForCache(l); err != nil || l.ManagedFields[0].FieldsV1 == nil || l.Annotations[lastApplied] == "" {
		t.Errorf("a Lease (updated whole by the claims) was trimmed: %+v", l.ObjectMeta)
	}
}
