// Package live reads access-controller's inputs and EffectivePermissions
// from a cluster, so that accessctl answers about a live cluster as it does
// about manifests (`--kubeconfig` / `--context` instead of `-f`).
package live

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/manifest"
)

// Target is the cluster to read, named by kubectl's global flags.
type Target struct {
	// Kubeconfig is a kubeconfig file (--kubeconfig); empty: the usual
	// loading rules, $KUBECONFIG then ~/.kube/config.
	Kubeconfig string
	// Context is a context of it (--context); empty: its current context.
	Context string
	// As and AsGroups impersonate a user and groups (--as, --as-group), to
	// read with what someone else may read.
	As       string
	AsGroups []string
}

// Config returns the REST config of the target, as kubectl resolves it.
func Config(t Target) (*rest.Config, error) {
	overrides := &clientcmd.ConfigOverrides{CurrentContext: t.Context}
	overrides.AuthInfo.Impersonate = t.As
	overrides.AuthInfo.ImpersonateGroups = t.AsGroups
	cfg, err := clientConfig(t.Kubeconfig, overrides).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("reading the kubeconfig: %w", err)
	}
	return cfg, nil
}

// Contexts lists the context names of a kubeconfig (empty: the usual
// loading rules), for completing --context.
func Contexts(kubeconfig string) ([]string, error) {
	raw, err := clientConfig(kubeconfig, &clientcmd.ConfigOverrides{}).RawConfig()
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(raw.Contexts))
	for name := range raw.Contexts {
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}

func clientConfig(kubeconfig string, overrides *clientcmd.ConfigOverrides) clientcmd.ClientConfig {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
}

// Cluster is what accessctl reads from a live cluster.
type Cluster struct {
	// Inputs are the six input kinds, as a manifest set whose objects come
	// from File "cluster"; the built-ins the controller keeps are left out,
	// as the controller leaves them out (the engine has its own).
	Inputs *manifest.Set
	// EffectivePermissions are the controller's, sorted by namespace and
	// name.
	EffectivePermissions []accessv1.EffectivePermission
}

// Source is the file name live objects carry in findings.
const Source = "cluster"

// Progress is where Read is: told after each page of a list.
type Progress struct {
	// Kind is the plural of the kind being read, e.g. "Members".
	Kind string
	// Index is its position (1-based) among the Kinds kinds Read lists.
	Index, Kinds int
	// Objects is how many objects Read has received so far, every kind.
	Objects int
}

// ReadOptions say how Read reads.
type ReadOptions struct {
	// ChunkSize is the most objects one list request returns (default 500,
	// as kubectl get's --chunk-size): a large cluster is read in pages,
	// which keeps the API server's responses small and lets Progress move.
	ChunkSize int64
	// Progress, when set, is called before each kind and after each page.
	Progress func(Progress)
}

// DefaultChunkSize is kubectl get's default --chunk-size.
const DefaultChunkSize = 500

// kinds are what Read lists, in order: the six input kinds, then the
// controller's EffectivePermissions.
var kinds = []struct {
	plural string
	list   func() client.ObjectList
}{
	{"Tenants", func() client.ObjectList { return &accessv1.TenantList{} }},
	{"Members", func() client.ObjectList { return &accessv1.MemberList{} }},
	{"Roles", func() client.ObjectList { return &accessv1.RoleList{} }},
	{"PermissionSets", func() client.ObjectList { return &accessv1.PermissionSetList{} }},
	{"PartnerAccesses", func() client.ObjectList { return &accessv1.PartnerAccessList{} }},
	{"VisibilityPolicies", func() client.ObjectList { return &accessv1.VisibilityPolicyList{} }},
	{"EffectivePermissions", func() client.ObjectList { return &accessv1.EffectivePermissionList{} }},
}

// Read lists every object of the input kinds and every EffectivePermission.
func Read(ctx context.Context, c client.Reader) (*Cluster, error) {
	return ReadWith(ctx, c, ReadOptions{})
}

// ReadWith is Read in pages of o.ChunkSize, telling o.Progress.
func ReadWith(ctx context.Context, c client.Reader, o ReadOptions) (*Cluster, error) {
	if o.ChunkSize <= 0 {
		o.ChunkSize = DefaultChunkSize
	}
	report := func(p Progress) {
		if o.Progress != nil {
			o.Progress(p)
		}
	}
	var objs []manifest.Object
	var eps []accessv1.EffectivePermission
	read := 0
	for i, k := range kinds {
		p := Progress{Kind: k.plural, Index: i + 1, Kinds: len(kinds), Objects: read}
		report(p)
		items, err := listAll(ctx, c, k.list, o.ChunkSize, func(n int) {
			p.Objects = read + n
			report(p)
		})
		if err != nil {
			return nil, fmt.Errorf("listing %s: %w", k.plural, err)
		}
		read += len(items)
		for _, item := range items {
			if ep, ok := item.(*accessv1.EffectivePermission); ok {
				eps = append(eps, *ep)
				continue
			}
			res, ok := item.(manifest.Resource)
			ref, known := engine.RefOf(item)
			if !ok || !known {
				return nil, fmt.Errorf("unexpected %T in the %s", item, k.plural)
			}
			if engine.IsBuiltin(item) {
				continue // the controller's; the engine has its own
			}
			objs = append(objs, manifest.Object{Resource: res, Ref: ref, File: Source})
		}
	}
	set, err := manifest.NewSet(objs)
	if err != nil {
		return nil, err
	}
	return &Cluster{Inputs: set, EffectivePermissions: eps}, nil
}

// listAll lists every object of a kind, a page of chunk objects at a time,
// telling page how many it has after each page. Pages share the first
// page's resourceVersion (the API server keeps a continued list
// consistent), so the result is one snapshot of the kind, as one request
// would give.
func listAll(ctx context.Context, c client.Reader, newList func() client.ObjectList, chunk int64, page func(n int)) ([]runtime.Object, error) {
	var out []runtime.Object
	cont := ""
	for {
		l := newList()
		if err := c.List(ctx, l, client.Limit(chunk), client.Continue(cont)); err != nil {
			return nil, err
		}
		items, err := meta.ExtractList(l)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		page(len(out))
		if cont = l.GetContinue(); cont == "" {
			return out, nil
		}
	}
}

// NewClient is a client for the API types of access-controller.
func NewClient(cfg *rest.Config) (client.Client, error) {
	scheme := runtime.NewScheme()
	if err := accessv1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	return client.New(cfg, client.Options{Scheme: scheme})
}

// Drift compares the cluster's EffectivePermissions with a render: one line
// per EffectivePermission missing, unexpected or with another spec.
func Drift(cluster, rendered []accessv1.EffectivePermission) []string {
	key := func(ep *accessv1.EffectivePermission) string { return ep.Namespace + "/" + ep.Name }
	have := map[string]*accessv1.EffectivePermission{}
	for i := range cluster {
		have[key(&cluster[i])] = &cluster[i]
	}
	var out []string
	for i := range rendered {
		want := &rendered[i]
		got, ok := have[key(want)]
		delete(have, key(want))
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("EffectivePermission %s is rendered but not in the cluster", key(want)))
		case !equalSpec(got, want):
			out = append(out, fmt.Sprintf("EffectivePermission %s: the cluster's spec differs from the render", key(want)))
		}
	}
	for k := range have {
		out = append(out, fmt.Sprintf("EffectivePermission %s is in the cluster but not rendered", k))
	}
	slices.Sort(out)
	return out
}

// equalSpec compares specs byte for byte, as the controller writes them.
func equalSpec(a, b *accessv1.EffectivePermission) bool {
	x, err1 := json.Marshal(a.Spec)
	y, err2 := json.Marshal(b.Spec)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
