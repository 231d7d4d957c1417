package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	. "github.com/tenancy-dev/access-controller/internal/engine/enginetest"
	"github.com/tenancy-dev/access-controller/internal/testenv"
	"github.com/tenancy-dev/access-controller/internal/webhook"
)

// clientAs returns a client that acts as user (with every permission: what
// is judged here is the webhooks' rule, not RBAC).
func clientAs(t *testing.T, user string) client.Client {
	t.Helper()
	u, err := testEnv.AddUser(envtest.User{Name: user, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := u.Config()
	cfg.QPS, cfg.Burst = -1, 0
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestOrphaningDeleteRevokes: a PartnerAccess deleted with
// propagationPolicy Orphan stays, terminating, behind the garbage
// collector's "orphan" finalizer. From that moment its partner admin holds
// nothing (deletion is revocation). The collector then patches the
// dependents to drop their ownerReferences to it — the webhook admits that
// patch from the collector (only ownerReferences change) — and removes the
// finalizer. There is no garbage collector here: the test makes its
// requests as it would.
func TestOrphaningDeleteRevokes(t *testing.T) {
	ctx := context.Background()
	gc := clientAs(t, webhook.DefaultCleanupUsers[0])
	apply(t,
		MakeTenant("orphanco").Obj(),
		MakeMember("orphanco", "carol").SuperAdmin().Obj(),
		MakeTenant("orphanagency").Partner(accessv1.TierSolutionsPartner).Obj(),
		MakeMember("orphanagency", "dana").Admin().Employee().Seat().Obj(),
		MakeMember("orphanagency", "owner").SuperAdmin().Obj(),
		// dana is also a member of the client: her EffectivePermission
		// stays, owned by her Member and by the PartnerAccess.
		MakeMember("orphanco", "dana").Standard().Role(accessv1.CEORole).Email(Email("orphanagency", "dana")).Obj(),
		MakePartnerAccess("orphanco", "orphanagency").ApprovedBy(Email("orphanco", "carol")).Admin(Email("orphanagency", "dana")).Obj(),
	)
	ep := &accessv1.EffectivePermission{ObjectMeta: metav1.ObjectMeta{Namespace: "orphanco", Name: "dana"}}
	testenv.Eventually(t, 30*time.Second, "dana is partner admin, her EP owned by the PartnerAccess", func() (bool, string) {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(ep), ep); err != nil {
			return false, err.Error()
		}
		b, _ := json.Marshal(ep.Spec)
		return partnerAdmin(ep) && len(ep.OwnerReferences) == 2, fmt.Sprintf("%d owners, %s", len(ep.OwnerReferences), b)
	})

	pa := &accessv1.PartnerAccess{ObjectMeta: metav1.ObjectMeta{Namespace: "orphanco", Name: "orphanagency"}}
	if err := k8s.Delete(ctx, pa, client.PropagationPolicy(metav1.DeletePropagationOrphan)); err != nil {
		t.Fatal(err)
	}
	pa = get(t, pa)
	if pa.DeletionTimestamp == nil || !containsString(pa.Finalizers, metav1.FinalizerOrphanDependents) {
		t.Fatalf("the PartnerAccess is not held by the orphan finalizer: %v %v", pa.DeletionTimestamp, pa.Finalizers)
	}
	testenv.Eventually(t, 30*time.Second, "dana loses partner admin while the PartnerAccess is terminating", func() (bool, string) {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(ep), ep); err != nil {
			return false, err.Error()
		}
		return !partnerAdmin(ep), "still partner admin"
	})

	// The collector orphans the dependents: it drops their ownerReferences
	// to the PartnerAccess (a patch of metadata only)...
	ep = get(t, ep)
	kept := ep.OwnerReferences[:0:0]
	for _, o := range ep.OwnerReferences {
		if o.UID != pa.UID {
			kept = append(kept, o)
		}
	}
	orphaned := ep.DeepCopy()
	orphaned.OwnerReferences = kept
	allowed(t, "the garbage collector drops an ownerReference", gc.Patch(ctx, orphaned, client.MergeFrom(ep)))
	// ...which no one else may do, and nothing else the collector may do.
	relabel := ep.DeepCopy()
	relabel.Labels = map[string]string{"edited": "by-gc"}
	refused(t, "the garbage collector relabels an EffectivePermission", gc.Patch(ctx, relabel, client.MergeFrom(ep)), "written only by access-controller")

	// ...and then lets the PartnerAccess go.
	pa = get(t, pa)
	pa.Finalizers = nil
	allowed(t, "the garbage collector removes the orphan finalizer", gc.Update(ctx, pa))
	testenv.Eventually(t, 10*time.Second, "the PartnerAccess is gone", func() (bool, string) {
		err := k8s.Get(ctx, client.ObjectKeyFromObject(pa), &accessv1.PartnerAccess{})
		return apierrors.IsNotFound(err), "still there"
	})
	if ep = get(t, ep); partnerAdmin(ep) {
		t.Errorf("dana is partner admin again after the PartnerAccess went")
	}
}

// TestFinalizerHeldMemberRevokes: a Member deleted while another
// controller's finalizer holds it grants nothing from the moment of the
// delete; its EffectivePermission goes.
func TestFinalizerHeldMemberRevokes(t *testing.T) {
	ctx := context.Background()
	apply(t,
		MakeTenant("holdco").Obj(),
		MakeMember("holdco", "carol").SuperAdmin().Obj(),
		MakeMember("holdco", "sam").Admin().Obj(),
	)
	ep := &accessv1.EffectivePermission{ObjectMeta: metav1.ObjectMeta{Namespace: "holdco", Name: "sam"}}
	testenv.Eventually(t, 30*time.Second, "sam's EffectivePermission", func() (bool, string) {
		err := k8s.Get(ctx, client.ObjectKeyFromObject(ep), ep)
		return err == nil, "absent"
	})
	sam := get(t, MakeMember("holdco", "sam").Obj())
	sam.Finalizers = []string{"example.com/backup"}
	allowed(t, "another controller's finalizer", update(sam))
	allowed(t, "delete sam", k8s.Delete(ctx, sam))
	testenv.Eventually(t, 30*time.Second, "sam's EffectivePermission is revoked while his Member is terminating", func() (bool, string) {
		err := k8s.Get(ctx, client.ObjectKeyFromObject(ep), &accessv1.EffectivePermission{})
		return apierrors.IsNotFound(err), "still there"
	})
	if sam = get(t, sam); sam.DeletionTimestamp == nil {
		t.Fatal("sam's Member is not terminating")
	}
	sam.Finalizers = nil
	allowed(t, "the other controller lets go", update(sam))
}

// TestStatusIsTheControllers: a status written by anyone but the
// controller is refused — a forged VisibilityPolicy status.modeChanges
// would tell applications to convert their records.
func TestStatusIsTheControllers(t *testing.T) {
	ctx := context.Background()
	apply(t, MakeTenant("statusco").Obj(), MakeMember("statusco", "carol").SuperAdmin().Obj(), MakePolicy("statusco").Obj())
	vp := &accessv1.VisibilityPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: "statusco", Name: accessv1.DefaultPolicyName}}
	testenv.Eventually(t, 30*time.Second, "the controller writes the policy's status", func() (bool, string) {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(vp), vp); err != nil {
			return false, err.Error()
		}
		return len(vp.Status.Conditions) > 0, "no conditions yet"
	})
	forged := vp.DeepCopy()
	forged.Status.ModeChanges = append(forged.Status.ModeChanges, accessv1.ModeChange{From: accessv1.ModePermissionGroup, To: accessv1.ModeDepartment})
	err := k8s.Status().Update(ctx, forged)
	refused(t, "someone writes a VisibilityPolicy's status", err, "written only by access-controller")
	if err != nil && !apierrors.IsForbidden(err) {
		t.Errorf("want Forbidden, got %v", err)
	}
	carol := get(t, MakeMember("statusco", "carol").Obj())
	carol.Status.Conditions = nil
	refused(t, "someone clears a Member's status", k8s.Status().Update(ctx, carol), "written only by access-controller")
	// The controller's own status writes go on: its pass still converges.
	testenv.Eventually(t, 30*time.Second, "the controller still writes statuses", func() (bool, string) {
		c := get(t, MakeMember("statusco", "carol").Obj())
		return len(c.Status.Conditions) > 0 && c.Status.ObservedGeneration == c.Generation, "not yet"
	})
}

// partnerAdmin: the EffectivePermission holds the partner admin's grants
// (its capabilities come from the partner-admin set).
func partnerAdmin(ep *accessv1.EffectivePermission) bool {
	for _, src := range ep.Spec.CapabilitySources {
		if strings.Contains(src.Via, "partner") {
			return true
		}
	}
	return ep.Spec.AccountRole == accessv1.UserRolePartnerAdmin
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}
