package v1alpha1

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// TestCRDEmailRuleMatchesEmailPattern keeps the CEL rule the API server runs
// on e-mail fields and the EmailPattern the engine uses offline identical.
func TestCRDEmailRuleMatchesEmailPattern(t *testing.T) {
	want := "self.matches('" + strings.ReplaceAll(EmailPattern, `\`, `\\`) + "')"
	for file, path := range map[string][]string{
		"access.tenancy.dev_members.yaml":         {"spec", "email"},
		"access.tenancy.dev_partneraccesses.yaml": {"spec", "partnerAdmins", "[]", "email"},
	} {
		crd := readCRD(t, file)
		props := crd.Spec.Versions[0].Schema.OpenAPIV3Schema
		for _, p := range path {
			if p == "[]" {
				props = props.Items.Schema
				continue
			}
			next := props.Properties[p]
			props = &next
		}
		if len(props.XValidations) != 1 || props.XValidations[0].Rule != want {
			t.Errorf("%s: %s has rules %+v, want the one rule %s", file, strings.Join(path, "."), props.XValidations, want)
		}
	}
	re := regexp.MustCompile(EmailPattern)
	for _, ok := range []string{"alice@acme.example", "a.b+c@x-y.example.com", "ALICE@ACME.EXAMPLE"} {
		if !re.MatchString(ok) {
			t.Errorf("EmailPattern refuses %q", ok)
		}
	}
	for _, bad := range []string{"alice", "alice@", "@acme.example", "alice@acme", "a b@acme.example", "alice@@acme.example"} {
		if re.MatchString(bad) {
			t.Errorf("EmailPattern accepts %q", bad)
		}
	}
}

// TestCRDTypeNamePatternMatchesTypeNamePattern keeps the pattern of an
// ObjectTypePolicy's name and the TypeNamePattern the engine uses offline
// identical (TestCELTypeNameRuleIsTypeNamePattern does it for the rules'
// objectTypes).
func TestCRDTypeNamePatternMatchesTypeNamePattern(t *testing.T) {
	props := readCRD(t, "access.tenancy.dev_visibilitypolicies.yaml").Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
	if got := props.Properties["objectTypes"].Items.Schema.Properties["name"].Pattern; got != TypeNamePattern {
		t.Errorf("objectTypes[].name has pattern %q, want TypeNamePattern %q", got, TypeNamePattern)
	}
}

// TestCRDsHaveCategoryAndStatus checks what every kind promises in api.md.
func TestCRDsHaveCategoryAndStatus(t *testing.T) {
	files, err := filepath.Glob("../../config/crd/bases/*.yaml")
	if err != nil || len(files) != 7 {
		t.Fatalf("want 7 CRDs, got %d (%v)", len(files), err)
	}
	for _, f := range files {
		crd := readCRD(t, filepath.Base(f))
		if !containsString(crd.Spec.Names.Categories, "tenancy") {
			t.Errorf("%s: no tenancy category", f)
		}
		v := crd.Spec.Versions[0]
		// EffectivePermission's status travels with its spec, written by
		// the controller alone (docs/controller.md); every input kind has
		// a status subresource, so what users apply never touches status.
		hasStatus := v.Subresources != nil && v.Subresources.Status != nil
		if wantStatus := crd.Spec.Names.Kind != "EffectivePermission"; hasStatus != wantStatus {
			t.Errorf("%s: status subresource %v, want %v", f, hasStatus, wantStatus)
		}
		st := v.Schema.OpenAPIV3Schema.Properties["status"]
		for _, field := range []string{"observedGeneration", "conditions"} {
			if _, ok := st.Properties[field]; !ok {
				t.Errorf("%s: status has no %s", f, field)
			}
		}
		if len(crd.Spec.Names.ShortNames) == 0 {
			t.Errorf("%s: no short name", f)
		}
		if containsString(crd.Spec.Names.ShortNames, "role") || containsString(crd.Spec.Names.ShortNames, "ep") {
			t.Errorf("%s: short names %v clash with built-in kinds", f, crd.Spec.Names.ShortNames)
		}
	}
}

func readCRD(t *testing.T, file string) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../../config/crd/bases", file))
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.UnmarshalStrict(b, crd); err != nil {
		t.Fatal(err)
	}
	return crd
}

func containsString(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}
