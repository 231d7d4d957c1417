package controllers

import (
	"encoding/json"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
)

// Cause is an input change a pass reflected: the object, its
// resourceVersion, and the field manager of its latest write (what
// Kubernetes records of who changed it: kubectl, argocd-controller,
// kustomize-controller...; the API server's audit log has the user).
type Cause struct {
	Kind            string `json:"kind"`
	Namespace       string `json:"namespace,omitempty"`
	Name            string `json:"name"`
	ResourceVersion string `json:"resourceVersion,omitempty"`
	Manager         string `json:"manager,omitempty"`
	Deleted         bool   `json:"deleted,omitempty"`
}

// causeOf describes an input object as a Cause.
func causeOf(k inputKind, obj client.Object, deleted bool) Cause {
	c := Cause{Kind: string(k), Namespace: obj.GetNamespace(), Name: obj.GetName(), ResourceVersion: obj.GetResourceVersion(), Deleted: deleted}
	var latest time.Time
	for _, mf := range obj.GetManagedFields() {
		if mf.Manager == FieldOwner || mf.Subresource != "" {
			continue // our own status writes, not the input change
		}
		if mf.Time != nil && !mf.Time.Time.Before(latest) {
			latest, c.Manager = mf.Time.Time, mf.Manager
		}
	}
	return c
}

// AuditRecord says who gained or lost what access, through which path, and
// from which input changes: one per EffectivePermission a pass widened or
// narrowed (engine.Classify decides which).
type AuditRecord struct {
	Time      time.Time `json:"time"`
	Tenant    string    `json:"tenant"`
	User      string    `json:"user"`
	Namespace string    `json:"namespace"`
	Name      string    `json:"name"` // the EffectivePermission
	// Direction is widens, narrows or both (engine.Direction).
	Direction string `json:"direction"`
	// Changes are the differences with their via (what gives a gain, or
	// gave a loss); neutral ones (a via reworded) are left out.
	Changes []engine.AccessChange `json:"changes"`
	// Causes are the input changes the pass reflected (at most maxCauses);
	// with several, any of them may be the one that changed this user.
	Causes []Cause `json:"causes,omitempty"`
}

// maxCauses bounds the causes a pass keeps.
const maxCauses = 16

// auditor writes AuditRecords: a structured log line each, an Event on the
// EffectivePermission, and, when out is set, a JSON line.
type auditor struct {
	log      logr.Logger
	recorder events.EventRecorder
	mu       sync.Mutex
	out      io.Writer
}

// record writes rec; ep, the EffectivePermission as it was, carries the
// Event (none for a create: a user's first grants are the cold converge's,
// which emits no Events; the log and the JSON line have them).
func (a *auditor) record(rec AuditRecord, ep *accessv1.EffectivePermission) {
	if a == nil {
		return
	}
	a.log.Info("Access changed", "tenant", rec.Tenant, "user", rec.User, "effectivePermission", rec.Namespace+"/"+rec.Name,
		"direction", rec.Direction, "changes", len(rec.Changes), "causes", rec.Causes)
	if a.recorder != nil && ep != nil {
		reason, verb := "AccessWidened", "gained"
		if rec.Direction == string(engine.Narrow) {
			reason, verb = "AccessNarrowed", "lost"
		} else if rec.Direction != string(engine.Widen) {
			reason, verb = "AccessChanged", "gained and lost"
		}
		msg := rec.User + " " + verb + " access: " + summarizeChanges(rec.Changes)
		a.recorder.Eventf(ep, nil, corev1.EventTypeNormal, reason, "Audit", "%s", msg)
	}
	if a.out != nil {
		b, err := json.Marshal(rec)
		if err != nil {
			return
		}
		a.mu.Lock()
		_, _ = a.out.Write(append(b, '\n'))
		a.mu.Unlock()
	}
}

// summarizeChanges writes the first few changes as "+ capability users.manage
// (via ...)", for an Event's message.
func summarizeChanges(cs []engine.AccessChange) string {
	var parts []string
	for i, c := range cs {
		if i == 3 {
			parts = append(parts, "…")
			break
		}
		s := string(c.Op) + " " + c.What
		if c.Type != "" {
			s += " " + c.Type
		}
		if c.Item != "" {
			s += " " + c.Item
		}
		if len(c.Via) > 0 {
			s += " (via " + c.Via[0] + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// audit records a written EffectivePermission's change, if it widened or
// narrowed access.
func (r *TenantReconciler) audit(w epWrite, causes []Cause, now time.Time) {
	if r.auditor == nil {
		return
	}
	var old, new *accessv1.EffectivePermissionSpec
	ep := w.desired
	if w.current != nil {
		old = &w.current.Spec
		if ep == nil {
			ep = w.current
		}
	}
	if w.desired != nil {
		new = &w.desired.Spec
	}
	empty := &accessv1.EffectivePermissionSpec{}
	if old == nil {
		old = empty
	}
	if new == nil {
		new = empty
	}
	changes := engine.Classify(old, new)
	dir := changes.Direction()
	if !dir.Widens() && !dir.Narrows() {
		return
	}
	var kept []engine.AccessChange
	for _, c := range changes {
		if c.Direction != engine.Neutral {
			kept = append(kept, c)
		}
	}
	r.auditor.record(AuditRecord{Time: now.UTC(), Tenant: ep.Spec.Tenant, User: ep.Spec.User, Namespace: ep.Namespace, Name: ep.Name,
		Direction: string(dir), Changes: kept, Causes: slices.Clone(causes)}, w.current)
}

// passCauses are the causes of a pass's writes: the changes it took before
// reading the cache, and those noted since whose version the pass read. The
// informer updates its cache before it calls the event handlers, so a pass
// may read a change whose note comes only after the pass took its notes;
// without the second part, the write it makes for that change would name
// none of its causes (and the next pass, which takes the note, writes
// nothing).
func (r *TenantReconciler) passCauses(ns string, taken []Cause, snap *engine.Snapshot) []Cause {
	out := slices.Clone(taken)
	for _, c := range r.observed.peekCauses(ns) {
		if len(out) >= maxCauses {
			break
		}
		if !slices.ContainsFunc(out, func(t Cause) bool { return t.Kind == c.Kind && t.Namespace == c.Namespace && t.Name == c.Name }) && read(snap, c) {
			out = append(out, c)
		}
	}
	return out
}

// read says whether snap reflects the change c: it holds the object at c's
// version, or, for a deletion, no longer holds it.
func read(snap *engine.Snapshot, c Cause) bool {
	o, found := snap.Find(engine.ObjectRef{Kind: c.Kind, Namespace: c.Namespace, Name: c.Name})
	if c.Deleted {
		return !found
	}
	return found && o.GetResourceVersion() == c.ResourceVersion
}
