package decision

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apiserver/pkg/apis/apiserver"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/authenticatorfactory"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	authenticationv1 "k8s.io/client-go/kubernetes/typed/authentication/v1"
	authorizationv1 "k8s.io/client-go/kubernetes/typed/authorization/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// Error codes of authentication and authorization.
const (
	// CodeUnauthenticated: no bearer token, or one the API server's
	// TokenReview did not accept (HTTP 401, with WWW-Authenticate: Bearer).
	CodeUnauthenticated = "unauthenticated"
	// CodeForbidden: the caller may not read the EffectivePermissions of a
	// tenant it asks about (HTTP 403); the message names the permission.
	CodeForbidden = "forbidden"
)

// What a caller must be allowed, by Kubernetes RBAC (or whatever
// authorizes the cluster), in the namespace of each tenant it asks about:
// to read the EffectivePermissions the answers come from. A check, a batch
// and a filter read one user's (get); who-can reads every user's (list).
const (
	epResource = "effectivepermissions"
	verbGet    = "get"
	verbList   = "list"
)

// AuthOptions say how long the API server's answers about callers are
// kept. Each is the longest a change takes to reach the server: a deleted
// ServiceAccount's token is accepted, a removed RoleBinding still allows,
// a new one still refuses, for at most that long after the answer. Zero
// keeps nothing: every request asks the API server.
type AuthOptions struct {
	// TokenTTL keeps a TokenReview's answer for a token.
	TokenTTL time.Duration
	// AllowTTL keeps a SubjectAccessReview's allowing answer.
	AllowTTL time.Duration
	// DenyTTL keeps a SubjectAccessReview's refusing answer.
	DenyTTL time.Duration
}

// DefaultAuthOptions keep each answer 10 s.
var DefaultAuthOptions = AuthOptions{TokenTTL: 10 * time.Second, AllowTTL: 10 * time.Second, DenyTTL: 10 * time.Second}

// Auth authenticates callers by their bearer token and authorizes their
// questions, delegating both to the API server (TokenReview and
// SubjectAccessReview) as an aggregated API server or controller-runtime's
// metrics filter does, with k8s.io/apiserver's caching authenticator and
// authorizer.
type Auth struct {
	authn authenticator.Request
	authz authorizer.Authorizer
}

// NewAuth returns an Auth that asks the API server of cfg, through
// httpClient (the manager's), whose identity must be allowed to create
// TokenReviews and SubjectAccessReviews (the ClusterRole
// system:auth-delegator).
func NewAuth(cfg *rest.Config, httpClient *http.Client, o AuthOptions) (*Auth, error) {
	if o.TokenTTL < 0 || o.AllowTTL < 0 || o.DenyTTL < 0 {
		return nil, fmt.Errorf("cache TTLs may not be negative: %+v", o)
	}
	authnClient, err := authenticationv1.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, err
	}
	authzClient, err := authorizationv1.NewForConfigAndClient(cfg, httpClient)
	if err != nil {
		return nil, err
	}
	// k8s.io/apiserver's DefaultAuthWebhookRetryBackoff, as
	// controller-runtime's metrics filter copies it: a failed review is
	// retried for about 4 s before the request fails.
	backoff := wait.Backoff{Duration: 500 * time.Millisecond, Factor: 1.5, Jitter: 0.2, Steps: 5}
	authn, _, err := authenticatorfactory.DelegatingAuthenticatorConfig{
		Anonymous:                &apiserver.AnonymousAuthConfig{Enabled: false},
		TokenAccessReviewClient:  authnClient,
		TokenAccessReviewTimeout: 10 * time.Second,
		WebhookRetryBackoff:      &backoff,
		CacheTTL:                 o.TokenTTL,
	}.New()
	if err != nil {
		return nil, fmt.Errorf("creating the authenticator: %w", err)
	}
	authz, err := authorizerfactory.DelegatingAuthorizerConfig{
		SubjectAccessReviewClient: authzClient,
		AllowCacheTTL:             o.AllowTTL,
		DenyCacheTTL:              o.DenyTTL,
		WebhookRetryBackoff:       &backoff,
	}.New()
	if err != nil {
		return nil, fmt.Errorf("creating the authorizer: %w", err)
	}
	return &Auth{authn: authn, authz: authz}, nil
}

type callerKey struct{}

// callerFrom is the authenticated caller the endpoint put in ctx.
func callerFrom(ctx context.Context) (user.Info, bool) {
	u, ok := ctx.Value(callerKey{}).(user.Info)
	return u, ok && u != nil
}

func unauthenticated(format string, args ...any) *Error {
	return &Error{Code: CodeUnauthenticated, Message: fmt.Sprintf(format, args...), status: http.StatusUnauthorized}
}

// authenticate reviews the request's bearer token and returns the request
// with the caller in its context; without Auth, the request as it is. A
// refusal sets WWW-Authenticate on w. A TokenReview that fails (the API
// server down) refuses too, as the API server's own authentication filter
// does: nobody is let in unreviewed.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*http.Request, *Error) {
	if s.auth == nil {
		return r, nil
	}
	header := r.Header.Get("Authorization")
	res, ok, err := s.auth.authn.AuthenticateRequest(r)
	if ok && res != nil && res.User != nil {
		return r.WithContext(context.WithValue(r.Context(), callerKey{}, res.User)), nil
	}
	w.Header().Set("WWW-Authenticate", "Bearer")
	switch {
	case header == "":
		return r, unauthenticated(`no bearer token: send "Authorization: Bearer <token>" with a ServiceAccount token (a projected one in a pod, or kubectl create token)`)
	case err == nil:
		return r, unauthenticated(`the Authorization header holds no bearer token: send "Authorization: Bearer <token>"`)
	}
	log.FromContext(r.Context()).V(1).Info("Refused a caller's bearer token", "error", err.Error())
	return r, unauthenticated("the bearer token was not accepted: %v", err)
}

// attributes are what a caller must be allowed to ask about a tenant whose
// namespace is namespace.
func attributes(u user.Info, verb, namespace string) authorizer.AttributesRecord {
	return authorizer.AttributesRecord{
		User:            u,
		Verb:            verb,
		Namespace:       namespace,
		APIGroup:        accessv1.GroupVersion.Group,
		Resource:        epResource,
		ResourceRequest: true,
	}
}

// forbidden is the refusal of a, which asking about tenant needs. It names
// the caller and the permission it lacks, so that whoever reads it knows
// what to grant.
func forbidden(a authorizer.Attributes, tenant, reason string) *Error {
	msg := fmt.Sprintf("%s may not %s %s.%s in namespace %s, which asking about tenant %s needs: grant it with a Role and RoleBinding there",
		a.GetUser().GetName(), a.GetVerb(), a.GetResource(), a.GetAPIGroup(), a.GetNamespace(), tenant)
	if reason != "" {
		msg += " (the API server said: " + reason + ")"
	}
	return &Error{Code: CodeForbidden, Message: msg, status: http.StatusForbidden}
}

// authorize refuses unless the caller in ctx may verb EffectivePermissions
// in the namespace of every tenant named (each namespace asked once, in
// the order named, the first refusal answered). Without Auth it allows.
// Fail closed: no caller, or a SubjectAccessReview that fails, refuses.
func (s *Server) authorize(ctx context.Context, verb string, tenants ...string) *Error {
	if s.auth == nil {
		return nil
	}
	u, ok := callerFrom(ctx)
	if !ok {
		return unauthenticated("no authenticated caller")
	}
	asked := map[string]bool{}
	for _, tenant := range tenants {
		ns, err := s.tenantNamespace(ctx, tenant)
		if err != nil {
			return internal(err)
		}
		if asked[ns] {
			continue
		}
		asked[ns] = true
		a := attributes(u, verb, ns)
		decision, reason, err := s.auth.authz.Authorize(ctx, a)
		if err != nil {
			log.FromContext(ctx).Error(err, "SubjectAccessReview failed", "user", u.GetName(), "verb", verb, "namespace", ns)
			return &Error{Code: CodeInternal, status: http.StatusInternalServerError,
				Message: fmt.Sprintf("could not learn whether %s may %s %s.%s in namespace %s: %v; retry", u.GetName(), verb, epResource, accessv1.GroupVersion.Group, ns, err)}
		}
		if decision != authorizer.DecisionAllow {
			return forbidden(a, tenant, reason)
		}
	}
	return nil
}

// tenantNamespace is the namespace of the tenant named, from the cache; a
// tenant the cache does not hold gets the namespace such a Tenant would
// have by default, its name, so that a refusal does not tell whether it
// exists.
func (s *Server) tenantNamespace(ctx context.Context, name string) (string, error) {
	t := &accessv1.Tenant{}
	err := s.reader.Get(ctx, client.ObjectKey{Name: name}, t)
	if apierrors.IsNotFound(err) {
		t.Name, t.Spec.Namespace = name, ""
		err = nil
	}
	if err != nil {
		return "", errors.Join(fmt.Errorf("reading tenant %s", name), err)
	}
	return t.NamespaceOrDefault(), nil
}

// tenantsOf are the tenants a batch names, in order, each once.
func tenantsOf(b *BatchRequest) []string {
	seen := map[string]bool{}
	var out []string
	for i := range b.Questions {
		if t := b.Questions[i].Tenant; !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}
