package webhook_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	. "github.com/tenancy-dev/access-controller/internal/engine/enginetest"
	"github.com/tenancy-dev/access-controller/internal/testenv"
	"github.com/tenancy-dev/access-controller/internal/webhook"
)

// clientAs returns a client that acts as user (with every permission: what
// is judged here is the webhooks' rule, not RBAC).
func clientAs(t *testing.T, user string) client.Client {
	t.Helper()
	cfg, err := userConfig(user)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCascadingDeleteRevokes: a PartnerAccess deleted with propagationPolicy
// Orphan (or Foreground) stays, terminating, behind the garbage collector's
// "orphan" (or "foregroundDeletion") finalizer. From that moment its partner
// admin holds nothing (deletion is revocation). The collector then patches
// the dependent that has another owner to drop its ownerReference to it —
// the webhook admits that patch from the collector (only ownerReferences
// change) — and removes the finalizer. There is no garbage collector here:
// the test makes its requests as it would.
func TestCascadingDeleteRevokes(t *testing.T) {
	for _, c := range []struct {
		policy    metav1.DeletionPropagation
		finalizer string
	}{{metav1.DeletePropagationOrphan, metav1.FinalizerOrphanDependents}, {metav1.DeletePropagationForeground, metav1.FinalizerDeleteDependents}} {
		t.Run(string(c.policy), func(t *testing.T) {
			cascadingDelete(t, "cascade-"+strings.ToLower(string(c.policy)), c.policy, c.finalizer)
		})
	}
}

func cascadingDelete(t *testing.T, clientNS string, policy metav1.DeletionPropagation, finalizer string) {
	ctx := context.Background()
	gc := clientAs(t, webhook.DefaultCleanupUsers[0])
	apply(t,
		MakeTenant(clientNS).Obj(),
		MakeMember(clientNS, "carol").SuperAdmin().Obj(),
		MakeTenant(clientNS+"-agency").Partner(accessv1.TierSolutionsPartner).Obj(),
		MakeMember(clientNS+"-agency", "dana").Admin().Employee().Seat().Obj(),
		MakeMember(clientNS+"-agency", "owner").SuperAdmin().Obj(),
		// dana is also a member of the client: her EffectivePermission
		// stays, owned by her Member and by the PartnerAccess.
		MakeMember(clientNS, "dana").Standard().Role(accessv1.CEORole).Email(Email(clientNS+"-agency", "dana")).Obj(),
		MakePartnerAccess(clientNS, clientNS+"-agency").ApprovedBy(Email(clientNS, "carol")).Admin(Email(clientNS+"-agency", "dana")).Obj(),
	)
	ep := &accessv1.EffectivePermission{ObjectMeta: metav1.ObjectMeta{Namespace: clientNS, Name: "dana"}}
	testenv.Eventually(t, 30*time.Second, "dana is partner admin, her EP owned by the PartnerAccess", func() (bool, string) {
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(ep), ep); err != nil {
			return false, err.Error()
		}
		b, _ := json.Marshal(ep.Spec)
		return partnerAdmin(ep) && len(ep.OwnerReferences) == 2, fmt.Sprintf("%d owners, %s", len(ep.OwnerReferences), b)
	})

	pa := &accessv1.PartnerAccess{ObjectMeta: metav1.ObjectMeta{Namespace: clientNS, Name: clientNS + "-agency"}}
	if err := k8s.Delete(ctx, pa, client.PropagationPolicy(policy)); err != nil {
		t.Fatal(err)
	}
	pa = get(t, pa)
	if pa.DeletionTimestamp == nil || !slices.Contains(pa.Finalizers, finalizer) {
		t.Fatalf("the PartnerAccess is not held by the %s finalizer: %v %v", finalizer, pa.DeletionTimestamp, pa.Finalizers)
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
	allowed(t, "the garbage collector removes its finalizer", gc.Update(ctx, pa))
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
