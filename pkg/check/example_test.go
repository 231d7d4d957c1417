package check_test

import (
	"fmt"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/pkg/check"
)

// exampleSpec is sam's EffectivePermission: he may edit deals, his own and
// those of his role's members.
func exampleSpec() *accessv1.EffectivePermissionSpec {
	edit := []accessv1.Action{accessv1.ActionEdit, accessv1.ActionView}
	return &accessv1.EffectivePermissionSpec{
		Tenant: "acme", User: "sam@acme.example", Active: true, Role: "sales-team",
		Objects: []accessv1.ObjectPermission{{
			Type: "deals", Actions: edit,
			ActionSources: []accessv1.ActionSource{{Via: "permissionSet: sales-rep", Actions: edit}},
			Grants: []accessv1.RecordGrant{
				{Scope: accessv1.ScopeOwn, Access: accessv1.AccessReadWrite, Via: []string{"owner"}},
				{Scope: accessv1.ScopeRole, Role: "sales-team", Access: accessv1.AccessReadWrite, Via: []string{"peers: sales-team"}},
			},
		}},
	}
}

func Example() {
	p := check.Compile(exampleSpec())

	// The functional question: may Sam edit deals at all?
	fmt.Println(p.Functional(accessv1.ActionEdit, "deals").Allowed)

	// The record question names the record's owner, with what the tenant
	// knows of that owner.
	d := p.Action(accessv1.ActionEdit, check.Record{Type: "deals", Owner: "kim@acme.example", OwnerRole: "sales-team", OwnerActive: true})
	fmt.Println(d.Allowed, d.Access, d.Reasons)

	// A record whose owner was not filled in is a non-member's record.
	d = p.Action(accessv1.ActionEdit, check.Record{Type: "deals"})
	fmt.Println(d.Allowed, d.Access, d.Reasons)

	// A type must be a lowercase type name.
	fmt.Println(p.Functional(accessv1.ActionEdit, "Deals").Reasons)
	// Output:
	// true
	// true ReadWrite [peers: sales-team]
	// false None [no grant on deals reaches a record with no owner: it is read as a non-member's record]
	// [type "Deals" is not an object type name (a lowercase DNS label such as deals): it matches no entry, not even "*"]
}

func ExampleCompiler() {
	// An application holding the EffectivePermissions of a tenant's users
	// compiles them with one Compiler, prepared with those at hand.
	sam, kim := exampleSpec(), exampleSpec()
	kim.User = "kim@acme.example"
	c := check.NewCompiler(sam, kim)
	ps := map[string]*check.Permissions{sam.User: c.Compile(sam), kim.User: c.Compile(kim)}

	// Each decides from its own EffectivePermission, as check.Compile's.
	rec := check.Record{Type: "deals", Owner: "kim@acme.example", OwnerRole: "sales-team", OwnerActive: true}
	for _, user := range []string{sam.User, kim.User} {
		d := ps[user].Action(accessv1.ActionEdit, rec)
		fmt.Println(user, d.Allowed, d.Reasons)
	}
	// Output:
	// sam@acme.example true [peers: sales-team]
	// kim@acme.example true [owner]
}
