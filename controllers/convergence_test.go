package controllers_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/controllers"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/internal/manifest"
	"github.com/tenancy-dev/access-controller/internal/question/questiontest"
	"github.com/tenancy-dev/access-controller/internal/testenv"
)

var testNow = time.Now

// TestScenariosConverge applies every shared scenario's manifests in several
// random orders and finds the cluster's EffectivePermission specs
// byte-identical to what the engine renders offline for the objects the
// API server accepted (accessctl render computes the same).
func TestScenariosConverge(t *testing.T) {
	m := startManager(t, testNow)
	dirs := scenarioDirs(t)
	r := rand.New(rand.NewPCG(42, 7))
	for _, dir := range dirs {
		set, err := manifest.Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(dir), func(t *testing.T) {
			for round := range 3 {
				objs := set.Objects()
				order := r.Perm(len(objs))
				for _, tn := range set.Snapshot.Tenants {
					testenv.CreateNamespace(t, k8s, tn.NamespaceOrDefault())
				}
				var accepted []manifest.Object
				for _, i := range order {
					o := objs[i].Resource.DeepCopyObject().(client.Object)
					err := k8s.Create(context.Background(), o)
					switch {
					case err == nil:
						accepted = append(accepted, objs[i])
					case apierrors.IsInvalid(err):
						t.Logf("round %d: the API server refused %s: %v", round, objs[i].Ref, err)
					default:
						t.Fatalf("create %s: %v", objs[i].Ref, err)
					}
				}
				want := expected(t, accepted)
				testenv.Eventually(t, 20*time.Second, "converge to accessctl render", func() (bool, string) {
					return testenv.SameEPs(t, k8s, want, namespaces(set))
				})
				// A pass lists them from the informer's store, as the
				// cache's reader does.
				testenv.Eventually(t, 5*time.Second, "a pass's list is the cache's", func() (bool, string) {
					return passListsCache(t, m, namespaces(set))
				})
				deleteAll(t, accepted)
				testenv.Eventually(t, 20*time.Second, "EffectivePermissions removed with their tenant", func() (bool, string) {
					return testenv.SameEPs(t, k8s, nil, namespaces(set))
				})
			}
		})
	}
}

func expected(t *testing.T, objs []manifest.Object) []accessv1.EffectivePermission {
	set, err := manifest.NewSet(objs)
	if err != nil {
		t.Fatal(err)
	}
	return engine.Compute(&set.Snapshot, testNow()).EffectivePermissions
}

func namespaces(set *manifest.Set) []string {
	var out []string
	for _, tn := range set.Snapshot.Tenants {
		out = append(out, tn.NamespaceOrDefault())
	}
	for _, o := range set.Objects() {
		if o.Ref.Namespace != "" {
			out = append(out, o.Ref.Namespace)
		}
	}
	return out
}

func deleteAll(t *testing.T, objs []manifest.Object) {
	for _, o := range objs {
		obj := o.Resource.DeepCopyObject().(client.Object)
		if err := k8s.Delete(context.Background(), obj); err != nil && !apierrors.IsNotFound(err) {
			t.Fatalf("delete %s: %v", o.Ref, err)
		}
	}
}

// scenarioDirs lists the scenario folders, shared and our own.
func scenarioDirs(t *testing.T) []string {
	t.Helper()
	out := questiontest.Dirs(t)
	if len(out) < 9 {
		t.Fatalf("found %d scenario folders, want the 8 shared ones and ours", len(out))
	}
	return out
}

// passListsCache says whether the EffectivePermissions and Members a pass
// lists from the informer's store (controllers.ListEPs, ListMembers) are
// those the manager's cache lists, at the same versions.
func passListsCache(t *testing.T, m *manager, nss []string) (bool, string) {
	ctx := context.Background()
	informers, ok := m.Cache.(cache.Informers)
	if !ok {
		t.Fatalf("the manager's cache is a %T", m.Cache)
	}
	for _, ns := range nss {
		eps, fromStore, err := controllers.ListEPs(ctx, m.Cache, informers, ns)
		if ok, why := storeIsCache(t, m, ns, "EffectivePermissions", eps, fromStore, err, &accessv1.EffectivePermissionList{}); !ok {
			return false, why
		}
		ms, fromStore, err := controllers.ListMembers(ctx, m.Cache, informers, ns)
		if ok, why := storeIsCache(t, m, ns, "Members", ms, fromStore, err, &accessv1.MemberList{}); !ok {
			return false, why
		}
	}
	return true, ""
}

// storeIsCache says whether what a pass listed of namespace ns's objects of
// one kind (what, listed: from the store when fromStore) is what the
// manager's cache lists into list, at the same versions.
func storeIsCache[P client.Object](t *testing.T, m *manager, ns, what string, listed []P, fromStore bool, err error, list client.ObjectList) (bool, string) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if !fromStore {
		t.Fatalf("the manager's cache is not read from its store: every pass copies its %s", what)
	}
	if err := m.Cache.List(context.Background(), list, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	got, want := map[string]string{}, map[string]string{}
	for _, o := range listed {
		got[o.GetName()] = o.GetResourceVersion()
	}
	if err := meta.EachListItem(list, func(o k8sruntime.Object) error {
		c := o.(client.Object)
		want[c.GetName()] = c.GetResourceVersion()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, want) {
		return false, fmt.Sprintf("namespace %s: a pass lists %s %v, the cache %v", ns, what, got, want)
	}
	return true, ""
}

// TestSetupReadsTheStore: a reconciler set up with a manager lists its
// EffectivePermissions and Members from the manager's cache's store. (A
// reconciler without the cache would still be correct, only slower: every
// pass would copy them through List, which nothing else would notice.)
func TestSetupReadsTheStore(t *testing.T) {
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0", Controller: config.Controller{SkipNameValidation: ptr.To(true)}})
	if err != nil {
		t.Fatal(err)
	}
	ok, err := controllers.SetUpReadsStore(mgr)
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		t.Error("SetupWithManager left the reconciler without the manager's cache: its passes list through List")
	}
}
