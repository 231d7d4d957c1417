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

// Config returns the REST config of a kubeconfig file (empty: the usual
// loading rules, $KUBECONFIG then ~/.kube/config) and context (empty: its
// current context), as kubectl resolves them.
func Config(kubeconfig, kubeContext string) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{CurrentContext: kubeContext}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("reading the kubeconfig: %w", err)
	}
	return cfg, nil
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

// Read lists every object of the input kinds and every EffectivePermission.
func Read(ctx context.Context, c client.Reader) (*Cluster, error) {
	lists := []client.ObjectList{&accessv1.TenantList{}, &accessv1.MemberList{}, &accessv1.RoleList{},
		&accessv1.PermissionSetList{}, &accessv1.PartnerAccessList{}, &accessv1.VisibilityPolicyList{}}
	var objs []manifest.Object
	for _, l := range lists {
		if err := c.List(ctx, l); err != nil {
			return nil, fmt.Errorf("listing %T: %w", l, err)
		}
		items, err := meta.ExtractList(l)
		if err != nil {
			return nil, err
		}
		for _, item := range items {
			res, ok := item.(manifest.Resource)
			ref, known := engine.RefOf(item)
			if !ok || !known {
				return nil, fmt.Errorf("unexpected %T in %T", item, l)
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
	var eps accessv1.EffectivePermissionList
	if err := c.List(ctx, &eps); err != nil {
		return nil, fmt.Errorf("listing EffectivePermissions: %w", err)
	}
	return &Cluster{Inputs: set, EffectivePermissions: eps.Items}, nil
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
