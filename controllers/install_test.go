package controllers_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tenancy-dev/access-controller/internal/testenv"
)

// TestInstallManifests renders what `make deploy` / `make build-installer`
// install (config/default) and the decision server's kustomization, and has
// the API server take every object with a server-side dry-run apply: the
// schemas, the RBAC, the webhook configuration, the Deployments, PDBs and
// NetworkPolicies are all valid for this Kubernetes. cert-manager's kinds,
// not served here, are the only ones skipped.
func TestInstallManifests(t *testing.T) {
	ctx := context.Background()
	kubectl := filepath.Join(testenv.Root, "bin", "kubectl")
	for _, dir := range []string{"default", "decision-server"} {
		t.Run(dir, func(t *testing.T) {
			out, err := exec.Command(kubectl, "kustomize", filepath.Join(testenv.Root, "config", dir)).Output()
			if err != nil {
				t.Fatalf("kubectl kustomize config/%s: %v", dir, err)
			}
			dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(out), 4096)
			applied, skipped := 0, []string{}
			for {
				u := &unstructured.Unstructured{}
				if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
					break
				} else if err != nil {
					t.Fatal(err)
				}
				if len(u.Object) == 0 {
					continue
				}
				gvk := u.GroupVersionKind()
				if _, err := k8s.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version); meta.IsNoMatchError(err) {
					skipped = append(skipped, gvk.Kind+" "+u.GetName())
					if gvk.Group != "cert-manager.io" {
						t.Errorf("%s %s: kind not served by this API server", gvk, u.GetName())
					}
					continue
				}
				if u.GetKind() == "Namespace" {
					// Created for real: the namespaced objects' dry runs need it.
					_ = k8s.Create(ctx, u.DeepCopy())
				}
				if err := k8s.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("install-test"), client.ForceOwnership, client.DryRunAll); err != nil {
					t.Errorf("%s %s/%s: %v", gvk.Kind, u.GetNamespace(), u.GetName(), err)
					continue
				}
				applied++
			}
			t.Logf("config/%s: %d objects applied (dry run), skipped %s", dir, applied, strings.Join(skipped, ", "))
			if applied < 5 {
				t.Errorf("config/%s: only %d objects", dir, applied)
			}
		})
	}
}
