package v1alpha1

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"
)

// TestCRDsAreInstallable runs the API server's own CRD validation on every
// generated CRD, which includes compiling each CEL rule and estimating its
// cost against the per-CRD budget: a CRD that fails here would be refused
// by `kubectl apply`.
func TestCRDsAreInstallable(t *testing.T) {
	for _, file := range crdFiles {
		internal := toInternal(t, readCRD(t, file))
		internal.Status.StoredVersions = []string{internal.Spec.Versions[0].Name} // the API server sets it on create
		if errs := validation.ValidateCustomResourceDefinition(context.Background(), internal); len(errs) > 0 {
			t.Errorf("%s would be refused by the API server: %v", file, errs.ToAggregate())
		}
	}
}

var crdFiles = []string{
	"access.tenancy.dev_tenants.yaml", "access.tenancy.dev_members.yaml", "access.tenancy.dev_roles.yaml",
	"access.tenancy.dev_permissionsets.yaml", "access.tenancy.dev_partneraccesses.yaml",
	"access.tenancy.dev_visibilitypolicies.yaml", "access.tenancy.dev_effectivepermissions.yaml",
}

// TestCELRules evaluates the single-object invariants (invariants.md #2, #3
// format, #5 ceo, #12, #12a, #13, #14) exactly as the API server does: defaults
// first, then the CRD's CEL rules. Each refusal must carry the field and the
// words `accessctl validate` prints for the same finding; each nearest legal
// object must pass.
func TestCELRules(t *testing.T) {
	cases := []struct {
		name      string
		crd       string
		obj, old  string
		wantField string // "" means accepted
		wantMsg   string
	}{
		{name: "#2 Standard member without a role", crd: "members",
			obj:       `{metadata: {name: norole, namespace: acme}, spec: {email: n@acme.example}}`,
			wantField: "spec.role", wantMsg: `member "norole" is Standard and must have a role: set spec.role to a Role of its tenant (for example ceo), or choose another accountRole`},
		{name: "#2 Standard member with a role", crd: "members",
			obj: `{metadata: {name: ok, namespace: acme}, spec: {email: n@acme.example, role: ceo}}`},
		{name: "#2 Admin with a role", crd: "members",
			obj:       `{metadata: {name: adminwithrole, namespace: acme}, spec: {email: a@acme.example, accountRole: Admin, role: ceo}}`,
			wantField: "spec.role", wantMsg: `member "adminwithrole" is Admin and must not have a role (admins and developers hold no role): remove spec.role, or make the member Standard`},
		{name: "#2 Developer with a role", crd: "members",
			obj:       `{metadata: {name: dev, namespace: acme}, spec: {email: d@acme.example, accountRole: Developer, role: ceo}}`,
			wantField: "spec.role", wantMsg: `member "dev" is Developer and must not have a role`},
		{name: "#2 Admin without a role", crd: "members",
			obj: `{metadata: {name: admin, namespace: acme}, spec: {email: a@acme.example, accountRole: Admin}}`},
		{name: "#2 SuperAdmin may have a role", crd: "members",
			obj: `{metadata: {name: boss, namespace: acme}, spec: {email: b@acme.example, accountRole: SuperAdmin, role: ceo}}`},
		{name: "#3 malformed e-mail", crd: "members",
			obj:       `{metadata: {name: x, namespace: acme}, spec: {email: "not-an-email", role: ceo}}`,
			wantField: "spec.email", wantMsg: `not-an-email is not a valid e-mail address; write it as name@example.com`},
		{name: "#3 malformed partner admin e-mail", crd: "partneraccesses",
			obj:       `{metadata: {name: x, namespace: acme}, spec: {partner: agency, approvedBy: c@acme.example, partnerAdmins: [{email: "dave@agency"}]}}`,
			wantField: "spec.partnerAdmins[0].email", wantMsg: `dave@agency is not a valid e-mail address; write it as name@example.com`},
		{name: "#3 well-formed partner admin e-mail", crd: "partneraccesses",
			obj: `{metadata: {name: x, namespace: acme}, spec: {partner: agency, approvedBy: c@acme.example, partnerAdmins: [{email: "dave@agency.example"}]}}`},
		{name: "#5 ceo given a parent", crd: "roles",
			obj:       `{metadata: {name: ceo, namespace: acme}, spec: {reportsTo: board}}`,
			wantField: "spec.reportsTo", wantMsg: `the built-in ceo Role is the root of the role tree and cannot have a parent; remove spec.reportsTo`},
		{name: "#4 a Role reporting to itself", crd: "roles",
			obj:       `{metadata: {name: east, namespace: acme}, spec: {reportsTo: east}}`,
			wantField: "spec.reportsTo", wantMsg: `Role "east" cannot report to itself; name its parent Role (default ceo)`},
		{name: "#4 a Role reporting to another", crd: "roles",
			obj: `{metadata: {name: east, namespace: acme}, spec: {reportsTo: west}}`},
		{name: "#12 Department mode with neither rules nor default", crd: "visibilitypolicies",
			obj:       `{metadata: {name: default, namespace: acme}, spec: {mode: Department}}`,
			wantField: "spec.departmentDefault", wantMsg: `Department mode with no departmentRules and no explicit departmentDefault would open every record to every member; set departmentDefault (for example None) or add departmentRules`},
		{name: "#12 Department mode with an explicit default", crd: "visibilitypolicies",
			obj: `{metadata: {name: default, namespace: acme}, spec: {mode: Department, departmentDefault: None}}`},
		{name: "#12 Department mode with rules", crd: "visibilitypolicies",
			obj: `{metadata: {name: default, namespace: acme}, spec: {mode: Department, departmentRules: [{objectTypes: [deals], from: {role: a}, to: {role: b}, access: Read}]}}`},
		{name: "#13 a VisibilityPolicy not named default", crd: "visibilitypolicies",
			obj:       `{metadata: {name: strict, namespace: acme}, spec: {}}`,
			wantField: "<root>", wantMsg: `a tenant has one VisibilityPolicy and it must be named default, not strict; rename it to default`},
		{name: "#12a sharing rule whose from names nobody", crd: "visibilitypolicies",
			obj:       `{metadata: {name: default, namespace: acme}, spec: {sharingRules: [{name: r, objectTypes: [deals], from: {}, to: {role: b}, access: Read}]}}`,
			wantField: "spec.sharingRules[0].from", wantMsg: `from names nobody: set from.role or from.user, whose records the rule shares; until then the rule grants nothing`},
		{name: "#12a sharing rule whose to names nobody (empty strings)", crd: "visibilitypolicies",
			obj:       `{metadata: {name: default, namespace: acme}, spec: {sharingRules: [{name: r, objectTypes: [deals], from: {role: a}, to: {role: "", user: ""}, access: Read}]}}`,
			wantField: "spec.sharingRules[0].to", wantMsg: `to names nobody: set to.role or to.user, who the rule shares the records with`},
		{name: "#12a sharing rule naming a user on each side", crd: "visibilitypolicies",
			obj: `{metadata: {name: default, namespace: acme}, spec: {sharingRules: [{name: r, objectTypes: [deals, business-cards], from: {user: a@acme.example}, to: {user: b@acme.example}, access: Read}]}}`},
		{name: "#12a department rule whose from names nobody", crd: "visibilitypolicies",
			obj:       `{metadata: {name: default, namespace: acme}, spec: {mode: Department, departmentDefault: None, departmentRules: [{objectTypes: [deals], from: {}, to: {role: b}, access: Read}]}}`,
			wantField: "spec.departmentRules[0].from", wantMsg: `from names nobody: set from.role (the owners' department) or from.user; until then the rule's types have no department access (None)`},
		{name: "#12a department rule whose to names nobody", crd: "visibilitypolicies",
			obj:       `{metadata: {name: default, namespace: acme}, spec: {mode: Department, departmentRules: [{objectTypes: [deals], from: {role: a}, to: {}, access: None}]}}`,
			wantField: "spec.departmentRules[0].to", wantMsg: `to names nobody: set to.role (the viewers' department) or to.user`},
		{name: "#12a department rule naming a role and a user", crd: "visibilitypolicies",
			obj: `{metadata: {name: default, namespace: acme}, spec: {mode: Department, departmentRules: [{objectTypes: [deals], from: {user: a@acme.example}, to: {role: b, user: b@acme.example}, access: None}]}}`},
		{name: "#12a department rule objectType not a type name", crd: "visibilitypolicies",
			obj:       `{metadata: {name: default, namespace: acme}, spec: {mode: Department, departmentRules: [{objectTypes: [deals, Leads], from: {role: a}, to: {role: b}, access: None}]}}`,
			wantField: "spec.departmentRules[0].objectTypes[1]", wantMsg: `object type "Leads" is not a type name (a lowercase DNS label such as deals or business-cards, at most 63 characters): write the name of the type`},
		{name: "#12a department rule objectType '*'", crd: "visibilitypolicies",
			obj:       `{metadata: {name: default, namespace: acme}, spec: {mode: Department, departmentRules: [{objectTypes: ["*"], from: {role: a}, to: {role: b}, access: None}]}}`,
			wantField: "spec.departmentRules[0].objectTypes[0]", wantMsg: `"*" in a department rule is no type (only a PermissionSet reads "*" as every type): list the types the rule is for`},
		{name: "#12a sharing rule objectType '*'", crd: "visibilitypolicies",
			obj:       `{metadata: {name: default, namespace: acme}, spec: {sharingRules: [{name: r, objectTypes: [deals, "*"], from: {role: a}, to: {role: b}, access: Read}]}}`,
			wantField: "spec.sharingRules[0].objectTypes[1]", wantMsg: `"*" in a sharing rule is no type (only a PermissionSet reads "*" as every type): list the types the rule is for`},
		{name: "#12a sharing rule objectType with a space", crd: "visibilitypolicies",
			obj:       `{metadata: {name: default, namespace: acme}, spec: {sharingRules: [{name: r, objectTypes: ["business cards"], from: {role: a}, to: {role: b}, access: Read}]}}`,
			wantField: "spec.sharingRules[0].objectTypes[0]", wantMsg: `object type "business cards" is not a type name`},
		{name: "#12a sharing rule objectType ending in a dash", crd: "visibilitypolicies",
			obj:       `{metadata: {name: default, namespace: acme}, spec: {sharingRules: [{name: r, objectTypes: [deals-], from: {role: a}, to: {role: b}, access: Read}]}}`,
			wantField: "spec.sharingRules[0].objectTypes[0]", wantMsg: `object type "deals-" is not a type name`},
		{name: "#12a type names with digits and dashes", crd: "visibilitypolicies",
			obj: `{metadata: {name: default, namespace: acme}, spec: {mode: Department, departmentRules: [{objectTypes: [business-cards, q4-2026], from: {role: a}, to: {role: b}, access: Read}], sharingRules: [{name: r, objectTypes: ["0day"], from: {role: a}, to: {role: b}, access: Read}]}}`},
		{name: "#14 a Tenant moving to another namespace", crd: "tenants",
			old:       `{metadata: {name: acme}, spec: {namespace: acme}}`,
			obj:       `{metadata: {name: acme}, spec: {namespace: acme-2}}`,
			wantField: "spec.namespace", wantMsg: `spec.namespace is immutable: a Tenant cannot move to another namespace; create a new Tenant instead`},
		{name: "#14 a Tenant naming its default namespace explicitly", crd: "tenants",
			old: `{metadata: {name: acme}}`,
			obj: `{metadata: {name: acme}, spec: {namespace: acme, displayName: Acme}}`},
		{name: "#14 a Tenant dropping an explicit namespace", crd: "tenants",
			old:       `{metadata: {name: acme}, spec: {namespace: acme-ns}}`,
			obj:       `{metadata: {name: acme}, spec: {}}`,
			wantField: "spec.namespace", wantMsg: "spec.namespace is immutable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ss := structuralOf(t, "access.tenancy.dev_"+tc.crd+".yaml")
			obj := object(t, tc.obj)
			structuraldefaulting.Default(obj, ss)
			var old any
			if tc.old != "" {
				o := object(t, tc.old)
				structuraldefaulting.Default(o, ss)
				old = o
			}
			v := cel.NewValidator(ss, true, celconfig.PerCallLimit)
			errs, _ := v.Validate(context.Background(), nil, ss, obj, old, celconfig.RuntimeCELCostBudget)
			for _, e := range errs {
				if e.Field == "" || e.Field == "<nil>" { // a rule on the object itself
					e.Field = "<root>"
				}
			}
			if tc.wantField == "" {
				if len(errs) > 0 {
					t.Fatalf("refused a legal object: %v", errs.ToAggregate())
				}
				return
			}
			for _, e := range errs {
				if e.Field == tc.wantField && strings.Contains(e.Detail, tc.wantMsg) {
					return
				}
			}
			t.Fatalf("want a refusal at %s saying %q, got %v", tc.wantField, tc.wantMsg, errs.ToAggregate())
		})
	}
}

// TestCELTypeNameRuleIsTypeNamePattern: the CEL rule on a rule's
// objectTypes (written without the full pattern, whose estimated cost the
// API server would refuse) accepts exactly the names TypeNamePattern does,
// which the engine uses offline.
func TestCELTypeNameRuleIsTypeNamePattern(t *testing.T) {
	ss := structuralOf(t, "access.tenancy.dev_visibilitypolicies.yaml")
	v := cel.NewValidator(ss, true, celconfig.PerCallLimit)
	re := regexp.MustCompile(TypeNamePattern)
	for _, typ := range []string{
		"deals", "business-cards", "a", "0", "q4-2026", "a-b-c", "a--b", "9lives", strings.Repeat("x", 63),
		"", "-", "-deals", "deals-", "Deals", "DEALS", "deals ", " deals", "business cards", "business_cards",
		"deals.v2", "*", "dé", "deals\n", "a-", "-a",
	} {
		obj := map[string]any{
			"apiVersion": "access.tenancy.dev/v1alpha1", "kind": "VisibilityPolicy",
			"metadata": map[string]any{"name": "default", "namespace": "acme"},
			"spec": map[string]any{"sharingRules": []any{map[string]any{
				"name": "r", "objectTypes": []any{typ}, "from": map[string]any{"role": "a"}, "to": map[string]any{"role": "b"}, "access": "Read",
			}}},
		}
		errs, _ := v.Validate(context.Background(), nil, ss, obj, nil, celconfig.RuntimeCELCostBudget)
		if accepted, want := len(errs) == 0, re.MatchString(typ); accepted != want {
			t.Errorf("objectType %q: CEL accepts %v, TypeNamePattern %v (%v)", typ, accepted, want, errs.ToAggregate())
		}
	}
}

func toInternal(t *testing.T, crd *apiextensionsv1.CustomResourceDefinition) *apiextensions.CustomResourceDefinition {
	t.Helper()
	internal := &apiextensions.CustomResourceDefinition{}
	if err := apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(crd, internal, nil); err != nil {
		t.Fatal(err)
	}
	return internal
}

func structuralOf(t *testing.T, file string) *structuralschema.Structural {
	t.Helper()
	internal := toInternal(t, readCRD(t, file))
	schema := internal.Spec.Validation // one version: conversion moves its schema here
	if internal.Spec.Versions[0].Schema != nil {
		schema = internal.Spec.Versions[0].Schema
	}
	ss, err := structuralschema.NewStructural(schema.OpenAPIV3Schema)
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

func object(t *testing.T, y string) map[string]any {
	t.Helper()
	obj := map[string]any{}
	if err := yaml.Unmarshal([]byte(y), &obj); err != nil {
		t.Fatal(err)
	}
	return obj
}
