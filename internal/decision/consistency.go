package decision

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/resourceversion"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// Consistency asks for an answer at least as fresh as something the caller
// knows (docs/decision-server.md, "Read your revocation"). Without it an
// answer comes from the cache as it is.
type Consistency struct {
	// AtLeastAsFresh is a freshness token of an earlier answer: this answer
	// reads EffectivePermissions at least as new as that one did.
	AtLeastAsFresh string `json:"atLeastAsFresh,omitempty"`
	// AfterWrite is a write the caller made to an input: this answer
	// reflects it — the controller has computed the tenant's
	// EffectivePermissions from inputs that include it and written them.
	AfterWrite *Write `json:"afterWrite,omitempty"`
	// MaxWaitSeconds bounds how long the server waits for AfterWrite to
	// reach the EffectivePermissions before it answers not_converged:
	// default 5, at most 30, 0 to look once.
	MaxWaitSeconds *float64 `json:"maxWaitSeconds,omitempty"`
}

// Write names a write to one of the controller's inputs: the kind of the
// object written and the resourceVersion the API server returned for it
// (metadata.resourceVersion of the response). A DELETE that removes the
// object at once answers a Status without one: name the deleted object
// instead (namespace, except for a Tenant, and name, no resourceVersion),
// and the server takes the deletion's resourceVersion from its own watch.
type Write struct {
	Kind            string `json:"kind"`
	ResourceVersion string `json:"resourceVersion,omitempty"`
	Namespace       string `json:"namespace,omitempty"`
	Name            string `json:"name,omitempty"`
}

// deletion reports whether w names a deleted object rather than a version.
func (w *Write) deletion() bool { return w.ResourceVersion == "" }

// DefaultWait and MaxWait bound the wait for an AfterWrite.
const (
	DefaultWait = 5 * time.Second
	MaxWait     = 30 * time.Second
)

// CodeNotConverged: the EffectivePermissions have not reached the asked
// freshness within the wait; retry (the write is still being converged).
const CodeNotConverged = "not_converged"

// inputKinds are the kinds an AfterWrite may name, with the field of
// Tenant status.observedInputs that records them.
var inputKinds = map[string]struct {
	kind   kind
	record func(*accessv1.ObservedInputs) string
}{
	"Tenant":           {kindTenant, func(o *accessv1.ObservedInputs) string { return o.Tenants }},
	"Member":           {kindMember, func(o *accessv1.ObservedInputs) string { return o.Members }},
	"Role":             {kindRole, func(o *accessv1.ObservedInputs) string { return o.Roles }},
	"PermissionSet":    {kindPermissionSet, func(o *accessv1.ObservedInputs) string { return o.PermissionSets }},
	"PartnerAccess":    {kindPartnerAccess, func(o *accessv1.ObservedInputs) string { return o.PartnerAccesses }},
	"VisibilityPolicy": {kindPolicy, func(o *accessv1.ObservedInputs) string { return o.VisibilityPolicies }},
}

// validate checks c and returns the wait it asks for.
func (c *Consistency) validate() (time.Duration, *Error) {
	if c == nil {
		return 0, nil
	}
	if c.AtLeastAsFresh != "" && !wellFormed(c.AtLeastAsFresh) {
		return 0, invalid("consistency.atLeastAsFresh %q: not a freshness token (the decimal resourceVersion an answer's freshness holds)", c.AtLeastAsFresh)
	}
	if w := c.AfterWrite; w != nil {
		if _, ok := inputKinds[w.Kind]; !ok {
			return 0, invalid("consistency.afterWrite.kind %q: not an input kind; give one of %s", w.Kind, strings.Join(kindNames(), ", "))
		}
		switch {
		case w.deletion() && w.Name == "":
			return 0, invalid("consistency.afterWrite: give resourceVersion (metadata.resourceVersion of the object your write returned) or, for a delete, the name (and namespace) of the object deleted")
		case w.deletion() && (w.Kind == "Tenant") != (w.Namespace == ""):
			return 0, invalid("consistency.afterWrite.namespace %q: a %s is %s", w.Namespace, w.Kind, map[bool]string{true: "cluster-scoped: leave namespace out", false: "namespaced: give its namespace"}[w.Kind == "Tenant"])
		case !w.deletion() && (w.Name != "" || w.Namespace != ""):
			return 0, invalid("consistency.afterWrite: give either resourceVersion or, for a delete, namespace and name, not both")
		case !w.deletion() && !wellFormed(w.ResourceVersion):
			return 0, invalid("consistency.afterWrite.resourceVersion %q: not a resourceVersion (give metadata.resourceVersion of the object your write returned)", w.ResourceVersion)
		}
	}
	wait := DefaultWait
	if c.MaxWaitSeconds != nil {
		s := *c.MaxWaitSeconds
		if s < 0 || s > MaxWait.Seconds() || s != s {
			return 0, invalid("consistency.maxWaitSeconds %v: give 0 to %v", s, MaxWait.Seconds())
		}
		wait = time.Duration(s * float64(time.Second))
	}
	return wait, nil
}

func kindNames() []string {
	out := make([]string, 0, len(inputKinds))
	for k := range inputKinds {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func wellFormed(rv string) bool {
	_, err := resourceversion.CompareResourceVersion(rv, rv)
	return err == nil
}

// atLeast reports whether resourceVersion a is at least b; a that is not
// one (empty, say) is not.
func atLeast(a, b string) bool {
	c, err := resourceversion.CompareResourceVersion(a, b)
	return err == nil && c >= 0
}

// source is where one answer reads a tenant's EffectivePermissions.
type source interface {
	userEP(ctx context.Context, tenant, user string) (*accessv1.EffectivePermission, error)
	tenantEPs(ctx context.Context, tenant string) ([]*accessv1.EffectivePermission, error)
	// freshness is the answer's token.
	freshness() string
}

// fromCache reads the cache: the token is the tracker's, read before the
// cache.
type fromCache struct {
	s     *Server
	token string
}

func (s *Server) cached(tenant string) source {
	return &fromCache{s: s, token: s.track.Freshness(tenant)}
}

func (c *fromCache) userEP(ctx context.Context, tenant, user string) (*accessv1.EffectivePermission, error) {
	return c.s.userEP(ctx, tenant, user)
}

func (c *fromCache) tenantEPs(ctx context.Context, tenant string) ([]*accessv1.EffectivePermission, error) {
	return c.s.tenantEPs(ctx, tenant)
}

func (c *fromCache) freshness() string { return c.token }

// fromAPI reads the API server (a quorum read, served from its watch cache
// once that has caught up with etcd): fresher than any token. The token is
// the list's resourceVersion. A tenant whose Tenant is gone has nothing.
type fromAPI struct {
	s     *Server
	ns    string
	gone  bool
	token string
}

func (l *fromAPI) list(ctx context.Context, tenant string, opts ...client.ListOption) ([]*accessv1.EffectivePermission, error) {
	if l.gone {
		return nil, nil
	}
	var list accessv1.EffectivePermissionList
	if err := l.s.live.List(ctx, &list, append(opts, client.InNamespace(l.ns))...); err != nil {
		return nil, err
	}
	if atLeast(list.ResourceVersion, l.token) || l.token == "" {
		l.token = list.ResourceVersion
	}
	var out []*accessv1.EffectivePermission
	for i := range list.Items {
		if list.Items[i].Spec.Tenant == tenant {
			out = append(out, &list.Items[i])
		}
	}
	sortEPs(out)
	return out, nil
}

func (l *fromAPI) userEP(ctx context.Context, tenant, user string) (*accessv1.EffectivePermission, error) {
	// spec.user is a selectable field; the controller writes it lowercase.
	eps, err := l.list(ctx, tenant, client.MatchingFields{"spec.user": strings.ToLower(user)})
	if err != nil || len(eps) == 0 {
		return nil, err
	}
	return eps[0], nil
}

func (l *fromAPI) tenantEPs(ctx context.Context, tenant string) ([]*accessv1.EffectivePermission, error) {
	return l.list(ctx, tenant)
}

func (l *fromAPI) freshness() string {
	if l.token == "" {
		return "0"
	}
	return l.token
}

// view is where an answer about tenant reads, given what c asks: the cache
// when it is fresh enough, else the API server, after waiting (at most the
// asked wait) for an AfterWrite to be reflected: the server's own cache
// holds the write (the owners it looks up reflect it) and the Tenant's
// status.observedInputs records it (the controller has written every
// EffectivePermission computed from it).
func (s *Server) view(ctx context.Context, tenant string, c *Consistency) (source, *Error) {
	wait, e := c.validate()
	if e != nil {
		return nil, e
	}
	if c == nil || c.AfterWrite == nil && c.AtLeastAsFresh == "" {
		return s.cached(tenant), nil
	}
	if c.AfterWrite == nil && atLeast(s.track.Freshness(tenant), c.AtLeastAsFresh) {
		return s.cached(tenant), nil
	}
	if s.live == nil {
		return nil, internal(fmt.Errorf("no API server reader to answer at a freshness the cache has not reached"))
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for {
		changed := s.track.changed()
		t, found, err := s.tenant(ctx, tenant)
		if err != nil {
			return nil, internal(err)
		}
		ready := true
		if w := c.AfterWrite; w != nil {
			in := inputKinds[w.Kind]
			rv, why := s.writeVersion(ctx, w)
			switch {
			case why != "":
				ready = false
			case !atLeast(s.track.seen(in.kind), rv):
				ready = false // our own cache has not seen the write yet
			case !found:
				// The cache is past the write and holds no such Tenant: a
				// tenant that does not exist grants nothing.
			case t.Status.ObservedInputs == nil || !atLeast(in.record(t.Status.ObservedInputs), rv):
				ready = false
			}
		}
		if ready {
			l := &fromAPI{s: s, gone: !found}
			if found {
				l.ns = t.NamespaceOrDefault()
			}
			return l, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			w := c.AfterWrite
			what := "at resourceVersion " + w.ResourceVersion
			if w.deletion() {
				what = "deleting " + strings.TrimPrefix(w.Namespace+"/"+w.Name, "/")
			}
			return nil, &Error{Code: CodeNotConverged, status: http.StatusServiceUnavailable, Message: fmt.Sprintf(
				"tenant %s: the %s write %s is not reflected in its EffectivePermissions after %v: %s; retry (a write that does not affect tenant %s is never recorded for it)",
				tenant, w.Kind, what, wait, s.notYet(ctx, tenant, w, found, t), tenant)}
		}
	}
}

// writeVersion is the resourceVersion of w: given, or for a deletion the
// one the cache delivered; why says what is missing when it is not known.
func (s *Server) writeVersion(ctx context.Context, w *Write) (rv, why string) {
	if !w.deletion() {
		return w.ResourceVersion, ""
	}
	in := inputKinds[w.Kind]
	key := objectKey{in.kind, w.Namespace, w.Name}
	obj := newObject(in.kind)
	err := s.reader.Get(ctx, types.NamespacedName{Namespace: w.Namespace, Name: w.Name}, obj)
	switch {
	case err == nil:
		return "", fmt.Sprintf("this server's cache still holds %s %s", w.Kind, strings.TrimPrefix(w.Namespace+"/"+w.Name, "/"))
	case !apierrors.IsNotFound(err):
		return "", err.Error()
	}
	if rv, ok := s.track.deletion(key); ok {
		return rv, ""
	}
	return "", fmt.Sprintf("this server did not see %s %s deleted (it was deleted before this replica started watching, or long ago); name a later write by its resourceVersion", w.Kind, strings.TrimPrefix(w.Namespace+"/"+w.Name, "/"))
}

// notYet says what an AfterWrite still waits for.
func (s *Server) notYet(ctx context.Context, tenant string, w *Write, found bool, t *accessv1.Tenant) string {
	in := inputKinds[w.Kind]
	rv, why := s.writeVersion(ctx, w)
	if why != "" {
		return why
	}
	if seen := s.track.seen(in.kind); !atLeast(seen, rv) {
		return fmt.Sprintf("this server's cache has seen %s changes up to resourceVersion %s only", w.Kind, orNone(seen))
	}
	rec := ""
	if found && t.Status.ObservedInputs != nil {
		rec = in.record(t.Status.ObservedInputs)
	}
	if !found {
		return fmt.Sprintf("no Tenant %s", tenant)
	}
	return fmt.Sprintf("Tenant %s status.observedInputs records %s changes up to %s only", tenant, w.Kind, orNone(rec))
}

func orNone(rv string) string {
	if rv == "" {
		return "none"
	}
	return rv
}

// tenant reads a Tenant from the cache.
func (s *Server) tenant(ctx context.Context, name string) (*accessv1.Tenant, bool, error) {
	var t accessv1.Tenant
	if err := s.reader.Get(ctx, types.NamespacedName{Name: name}, &t); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, false, nil
		}
		return nil, false, err
	}
	return &t, true, nil
}
