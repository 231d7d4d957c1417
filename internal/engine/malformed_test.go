package engine_test

// Table tests of semantics.md §6 "Deletion and malformed input": a malformed
// part of an input never widens access. A department rule whose from or to
// names nothing, or whose objectTypes are not type names, gives its types no
// department access (None) until fixed — never the departmentDefault, never
// the same-department ReadWrite; a sharing rule that names nobody grants
// nothing.

import (
	"testing"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	et "github.com/tenancy-dev/access-controller/internal/engine/enginetest"
)

// openDeptPolicy is a Department policy whose default is ReadWrite: without
// a malformed rule, every department reaches every other's deals.
func openDeptPolicy() *et.PolicyWrapper {
	return et.MakePolicy(acme).Mode(accessv1.ModeDepartment).HierarchyDisabled().DeptDefault(RW).
		DeptRule(types("business-cards"), et.RoleSubject("executives"), et.RoleSubject("engineering"), None)
}

var nobody = accessv1.Subject{}

func TestSection6MalformedDepartmentRule(t *testing.T) {
	rs := et.RoleSubject
	fromNothing := deptWorld(openDeptPolicy().DeptRule(types("deals"), nobody, rs("engineering"), RW))
	toNothing := deptWorld(openDeptPolicy().DeptRule(types("deals"), rs("sales"), nobody, RW))
	badType := deptWorld(openDeptPolicy().DeptRule(types("deals", "Leads"), rs("sales"), rs("engineering"), None))
	starType := deptWorld(openDeptPolicy().DeptRule(types("*"), rs("sales"), rs("engineering"), None))
	onlyMalformed := deptWorld(et.MakePolicy(acme).Mode(accessv1.ModeDepartment).HierarchyDisabled().
		DeptRule(types("deals"), nobody, rs("engineering"), RW))

	var rows []decision
	for name, world := range map[string][]any{
		"from names nothing":                 fromNothing,
		"to names nothing":                   toNothing,
		"an objectType that is no type name": badType,
		"objectType '*'":                     starType,
	} {
		rows = append(rows,
			deny("§6 "+name+": not the departmentDefault between departments", e("e1"), view, recV("deals", e("s1"), Public), None).on(world),
			deny("§6 "+name+": not the departmentDefault the other way", e("s1"), view, recV("deals", e("e1"), Public), None).on(world),
			deny("§6 "+name+": not the same-department ReadWrite", e("s2"), view, recV("deals", e("s1"), Public), None).on(world),
			deny("§6 "+name+": not the departmentDefault for an owner with no department (non-member)", e("e1"), view, recV("deals", ghost, Public), None).on(world),
			deny("§6 "+name+": not the departmentDefault for an owner with no department (Developer)", e("e1"), view, recV("deals", e("dev"), Public), None).on(world),
			deny("§6 "+name+": not the departmentDefault for an inactive owner", e("e1"), view, recV("deals", e("gone"), Public), None).on(world),
			allow("§6 "+name+": Own still applies", e("s1"), edit, recV("deals", e("s1"), Public), RW).on(world),
			allow("§6 "+name+": the CEO path still applies", e("boss"), edit, recV("deals", e("s1"), Public), RW).on(world),
		)
	}
	// The rule's other types: a rule naming nothing on a side narrows its
	// own types; one whose types cannot be read narrows every type, since
	// any of them may be the one it meant.
	rows = append(rows,
		allow("control: the departmentDefault ReadWrite between departments", e("e1"), edit, recV("deals", e("s1"), Public), RW),
		allow("control: the same-department ReadWrite", e("s2"), edit, recV("deals", e("s1"), Public), RW),
		allow("§6 from names nothing: other types keep the departmentDefault", e("e1"), edit, recV("contacts", e("s1"), Public), RW).on(fromNothing),
		allow("§6 from names nothing: other types keep the same-department ReadWrite", e("s2"), edit, recV("contacts", e("s1"), Public), RW).on(fromNothing),
		deny("§6 an objectType that is no type name: every named type gets None", e("e1"), view, recV("business-cards", e("s1"), Public), None).on(badType),
		deny("§6 an objectType that is no type name: every other type gets None", e("e1"), view, recV("contacts", e("s1"), Public), None).on(badType),
		deny("§6 an objectType that is no type name: same department too", e("s2"), view, recV("contacts", e("s1"), Public), None).on(badType),
		deny("§6 objectType '*': every type gets None", e("s2"), view, recV("widgets", e("s1"), Public), None).on(starType),
		allow("§6 objectType '*': All still applies", e("cva"), view, recV("tickets", e("s1"), Public), R).on(starType),
		// decided: a departmentDefault that is absent reads ReadWrite only while a well-formed rule exists.
		deny("§6 only malformed rules and no departmentDefault: the default is not ReadWrite", e("e1"), view, recV("contacts", e("s1"), Public), None).on(onlyMalformed),
	)
	sortRows(rows)
	runDecisions(t, deptWorld(openDeptPolicy()), rows)

	// How the EffectivePermission says it: the type's entry holds one
	// Department grant, access None, naming the rule — no role grant, no
	// default but that one — so pkg/check decides None for every owner.
	res := et.Compute(fromNothing)
	ep := res.Lookup(acme, e("e1"))
	if ep == nil {
		t.Fatal("no EffectivePermission for e1")
	}
	o := objectEntry(ep, "deals")
	if o == nil {
		t.Fatalf("no deals entry: %+v", ep.Spec.Objects)
	}
	var dept []accessv1.RecordGrant
	for _, g := range o.Grants {
		if g.Scope == accessv1.ScopeDepartment {
			dept = append(dept, g)
		}
	}
	if len(dept) != 1 || dept[0].Access != None || dept[0].Role != "" || dept[0].User != "" || len(dept[0].HiddenFields) != 0 || len(dept[0].Via) != 1 {
		t.Errorf("deals' Department grants = %+v, want exactly one, access None, naming the malformed rule", dept)
	}
}

// TestSection6MalformedRuleFindings: each malformed rule is refused with the
// words of the CRD's CEL rule for the same field (api/v1alpha1 TestCELRules),
// and a department rule's message says what it does meanwhile.
func TestSection6MalformedRuleFindings(t *testing.T) {
	rs := et.RoleSubject
	cases := []struct {
		name   string
		policy *et.PolicyWrapper
		field  string
		words  []string
	}{
		{"department rule from names nothing", openDeptPolicy().DeptRule(types("deals"), nobody, rs("engineering"), RW),
			"spec.departmentRules[1].from", []string{"from names nobody: set from.role (the owners' department) or from.user; until then the rule's types have no department access (None)"}},
		{"department rule to names nothing", openDeptPolicy().DeptRule(types("deals"), rs("sales"), nobody, RW),
			"spec.departmentRules[1].to", []string{"to names nobody: set to.role (the viewers' department) or to.user; until then the rule's types have no department access (None)"}},
		{"department rule objectType not a type name", openDeptPolicy().DeptRule(types("deals", "Leads"), rs("sales"), rs("engineering"), None),
			"spec.departmentRules[1].objectTypes[1]", []string{`object type "Leads" is not a type name (a lowercase DNS label such as deals or business-cards, at most 63 characters): write the name of the type`, "None"}},
		{"department rule objectType with a space", openDeptPolicy().DeptRule(types("business cards"), rs("sales"), rs("engineering"), None),
			"spec.departmentRules[1].objectTypes[0]", []string{`"business cards"`, "type name"}},
		{"sharing rule objectType not a type name", openDeptPolicy().Share("r", types("deals", "Deals"), rs("sales"), rs("engineering"), R),
			"spec.sharingRules[0].objectTypes[1]", []string{`"Deals"`, "type name"}},
		{"sharing rule from names nothing", openDeptPolicy().Share("r", types("deals"), nobody, rs("engineering"), R),
			"spec.sharingRules[0].from", []string{"from names nobody: set from.role or from.user, whose records the rule shares; until then the rule grants nothing"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := et.Compute(deptWorld(c.policy))
			k := et.FindingKey{Kind: "VisibilityPolicy", Namespace: acme, Name: "default", Field: c.field, Reason: accessv1.ReasonInvalidValue, Severity: engine.Refused}
			f, ok := et.FindFinding(res, k)
			if !ok {
				t.Fatalf("missing finding %+v; findings:\n%s", k, et.DescribeFindings(res))
			}
			checkMessage(t, f, c.words)
		})
	}
}

func TestSection6SharingRuleNamingNobody(t *testing.T) {
	rs := et.RoleSubject
	rows := []decision{
		deny("§6 a sharing rule whose from names nobody grants nothing", e("jim"), view, rec("deals", e("oscar")), None).
			with(hierarchyPolicy().Share("from-nobody", types("deals"), nobody, rs("sales-junior"), RW)),
		deny("§6 a sharing rule whose from names nobody grants nothing (no owner either)", e("jim"), view, rec("deals", ghost), None).
			with(hierarchyPolicy().Share("from-nobody", types("deals"), nobody, rs("sales-junior"), RW)),
		deny("§6 a sharing rule whose to names nobody grants nothing", e("oscar"), view, rec("deals", e("sue")), None).
			with(hierarchyPolicy().Share("to-nobody", types("deals"), rs("support"), nobody, RW)),
		deny("§6 a sharing rule whose to names nobody grants nothing (a viewer with no role)", e("dana"), view, rec("deals", e("sue")), None).
			with(hierarchyPolicy().Share("to-nobody", types("deals"), rs("support"), nobody, RW),
				et.MakeMember(acme, "dana").Developer().Sets("rep")),
		deny("§6 a sharing rule whose sides name nobody grants nothing", e("oscar"), view, rec("deals", e("sue")), None).
			with(hierarchyPolicy().Share("nobody", types("deals"), nobody, nobody, RW)),
	}
	runDecisions(t, hierarchyWorld(), rows)
}
