// Package check decides one access question from one EffectivePermission:
// may this user perform this action on this record, or use this capability?
// It reads nothing but the EffectivePermission and the record, so
// applications import it and enforce access locally.
//
// Compile an EffectivePermission once, then ask many questions:
//
//	p := check.Compile(&ep.Spec)
//	d := p.Action(accessv1.ActionEdit, check.Record{Type: "deals", Owner: "bob@acme.example", OwnerRole: "sales-junior", OwnerActive: true})
//	if d.Allowed { ... }
//
// Compile allocates; Action and Capability do not.
package check
