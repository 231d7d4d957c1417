package webhook

import (
	"context"
	"fmt"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tenancy-dev/access-controller/internal/engine"
)

// A claim serializes the judgements of one tenant's cross-object invariants
// (its last SuperAdmin, unique e-mails, its role tree and limit) across
// every replica that serves the webhooks: a request takes the tenant's
// claim, reads the tenant's objects from the API server itself (not the
// cache), is judged, and, when admitted, keeps the claim until its write is
// visible to a live read. The next request for the tenant therefore judges
// against a state that holds the admitted write. docs/admission.md has the
// design and why it is sound.
//
// Two levels: a channel per tenant serializes the requests of this process
// (cheap, no API call while a neighbour waits), and a coordination.k8s.io
// Lease per tenant, taken and given back with resourceVersion-checked
// writes, serializes the replicas. A replica that dies holding a Lease
// blocks the tenant's changes until the Lease expires (its duration).

// LeaseName is the name of the Lease that holds a tenant's admission claim.
func LeaseName(tenantNamespace string) string {
	return "access-controller-admission." + tenantNamespace
}

// ClaimOptions tune the claims; zero values take the defaults.
type ClaimOptions struct {
	// Namespace holds the Leases; empty means each tenant's own namespace.
	Namespace string
	// Identity names this replica in the Leases (default: a fresh name).
	Identity string
	// Wait is how long a request waits for a claim another request holds
	// before it is refused with a retryable Conflict (default 3 s, within the
	// webhooks' timeoutSeconds of 5).
	Wait time.Duration
	// Hold is how long an admitted write is awaited before its claim is given
	// back anyway (default 10 s): a write refused later by the API server (a
	// conflict, another webhook) never becomes visible.
	Hold time.Duration
	// LeaseDuration is how long a Lease stands without its holder giving it
	// back (default 15 s, more than Wait + Hold).
	LeaseDuration time.Duration
}

func (o ClaimOptions) withDefaults() ClaimOptions {
	if o.Wait == 0 {
		o.Wait = 3 * time.Second
	}
	if o.Hold == 0 {
		o.Hold = 10 * time.Second
	}
	if o.LeaseDuration == 0 {
		o.LeaseDuration = 15 * time.Second
	}
	if o.Identity == "" {
		o.Identity = fmt.Sprintf("webhook-%d", time.Now().UnixNano())
	}
	return o
}

// claims hands out tenant claims.
type claims struct {
	o      ClaimOptions
	writer client.Client // writes Leases
	live   client.Reader // reads Leases and awaited objects from the API server
	now    func() time.Time

	mu    sync.Mutex
	local map[string]chan struct{}
}

func newClaims(o ClaimOptions, writer client.Client, live client.Reader) *claims {
	return &claims{o: o.withDefaults(), writer: writer, live: live, now: time.Now, local: map[string]chan struct{}{}}
}

// claim is a held tenant claim.
type claim struct {
	c     *claims
	lease *coordinationv1.Lease // nil when there was nothing to serialize with
	token chan struct{}
	once  sync.Once
}

// errBusy is the retryable refusal of a request that could not take its
// tenant's claim in time.
func errBusy(tenant string) error {
	return apierrors.NewConflict(coordinationv1.Resource("leases"), LeaseName(tenant),
		fmt.Errorf("another change to the tenant of namespace %q is being judged; retry (kubectl apply and GitOps tools retry a Conflict)", tenant))
}

// acquire takes the claim of the tenant of namespace ns for the request
// named holder, waiting up to Wait.
func (c *claims) acquire(ctx context.Context, ns, holder string) (*claim, error) {
	deadline := time.Now().Add(c.o.Wait)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	c.mu.Lock()
	token, ok := c.local[ns]
	if !ok {
		token = make(chan struct{}, 1)
		c.local[ns] = token
	}
	c.mu.Unlock()
	select {
	case token <- struct{}{}:
	case <-ctx.Done():
		return nil, errBusy(ns)
	}
	lease, err := c.takeLease(ctx, ns, holder)
	if err != nil {
		<-token
		return nil, err
	}
	return &claim{c: c, lease: lease, token: token}, nil
}

func (c *claims) leaseKey(ns string) types.NamespacedName {
	lns := c.o.Namespace
	if lns == "" {
		lns = ns
	}
	return types.NamespacedName{Namespace: lns, Name: LeaseName(ns)}
}

// takeLease creates the tenant's Lease or takes it over when it is free or
// expired, with resourceVersion-checked writes; it retries while another
// replica holds it, until ctx ends.
func (c *claims) takeLease(ctx context.Context, ns, holder string) (*coordinationv1.Lease, error) {
	key := c.leaseKey(ns)
	identity := c.o.Identity + "/" + holder
	pause := 5 * time.Millisecond
	for {
		now := metav1.NewMicroTime(c.now())
		var l coordinationv1.Lease
		err := c.live.Get(ctx, key, &l)
		switch {
		case apierrors.IsNotFound(err):
			l = coordinationv1.Lease{
				ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name,
					Labels: map[string]string{"app.kubernetes.io/managed-by": "access-controller"}},
				Spec: coordinationv1.LeaseSpec{HolderIdentity: &identity, AcquireTime: &now, RenewTime: &now,
					LeaseDurationSeconds: ptr.To(int32(c.o.LeaseDuration / time.Second))},
			}
			err = c.writer.Create(ctx, &l)
			if err == nil {
				return &l, nil
			}
			if c.o.Namespace == "" && (apierrors.IsNotFound(err) || apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause)) {
				// The tenant's namespace does not exist (a Tenant created
				// before it) or is going away: no object of the tenant can
				// be created beside this request, so there is nothing to
				// serialize with.
				return nil, nil
			}
		case err == nil && c.free(&l):
			l.Spec.HolderIdentity = &identity
			l.Spec.AcquireTime, l.Spec.RenewTime = &now, &now
			l.Spec.LeaseDurationSeconds = ptr.To(int32(c.o.LeaseDuration / time.Second))
			err = c.writer.Update(ctx, &l)
			if err == nil {
				return &l, nil
			}
		}
		if err != nil && !apierrors.IsConflict(err) && !apierrors.IsAlreadyExists(err) && !apierrors.IsNotFound(err) && ctx.Err() == nil {
			return nil, apierrors.NewServiceUnavailable(fmt.Sprintf("access-controller cannot take the admission claim of the tenant of namespace %q (%v); try again", ns, err))
		}
		select {
		case <-ctx.Done():
			return nil, errBusy(ns)
		case <-time.After(pause):
		}
		pause = min(2*pause, 50*time.Millisecond)
	}
}

// free says whether nobody holds the Lease, or its holder let it expire.
func (c *claims) free(l *coordinationv1.Lease) bool {
	if l.Spec.HolderIdentity == nil || *l.Spec.HolderIdentity == "" {
		return true
	}
	if l.Spec.RenewTime == nil || l.Spec.LeaseDurationSeconds == nil {
		return true
	}
	return c.now().After(l.Spec.RenewTime.Add(time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second))
}

// release gives the claim back. It may be called more than once.
func (cl *claim) release() {
	cl.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if cl.lease != nil {
			l := cl.lease.DeepCopy()
			l.Spec.HolderIdentity = nil
			// A conflict means the Lease expired and another took it:
			// nothing to give back. Any other failure leaves it to expire.
			_ = cl.c.writer.Update(ctx, l)
		}
		<-cl.token
	})
}

// releaseWhenVisible keeps the claim until a live read shows the admitted
// write (or Hold passes), then gives it back. visible is asked repeatedly.
func (cl *claim) releaseWhenVisible(visible func(context.Context) bool) {
	go func() {
		defer cl.release()
		ctx, cancel := context.WithTimeout(context.Background(), cl.c.o.Hold)
		defer cancel()
		pause := 2 * time.Millisecond
		for !visible(ctx) {
			select {
			case <-ctx.Done():
				return
			case <-time.After(pause):
			}
			pause = min(2*pause, 25*time.Millisecond)
		}
	}()
}

// visibleAfter returns the check that an admitted write of obj (old is its
// state before, nil for a create) has reached the API server: created (the
// object exists), changed (its resourceVersion moved on), or deleted (gone
// or being deleted).
func visibleAfter(live client.Reader, op engine.Operation, old, obj client.Object) func(context.Context) bool {
	target := obj
	if target == nil {
		target = old
	}
	key := client.ObjectKeyFromObject(target)
	return func(ctx context.Context) bool {
		cur := target.DeepCopyObject().(client.Object)
		err := live.Get(ctx, key, cur)
		if apierrors.IsNotFound(err) {
			return op != engine.Create // deleted (or replaced and gone)
		}
		if err != nil {
			return false
		}
		switch op {
		case engine.Create:
			return true // it exists (a create with another UID failed: nothing to wait for either)
		case engine.Delete:
			return cur.GetDeletionTimestamp() != nil || cur.GetResourceVersion() != old.GetResourceVersion()
		default:
			return cur.GetResourceVersion() != old.GetResourceVersion()
		}
	}
}
