// Package check decides one access question from one EffectivePermission:
// may this user use this capability, perform this action on records of this
// type at all, or perform it on this record? It reads nothing but the
// EffectivePermission and the record, so applications import it and enforce
// access locally.
//
// Compile an EffectivePermission once, then ask many questions:
//
//	p := check.Compile(&ep.Spec)
//
//	// The functional question: may she edit deals at all (show the button)?
//	if p.Functional(accessv1.ActionEdit, "deals").Allowed { ... }
//
//	// The record question: may she edit this deal? Name its owner, always.
//	d := p.Action(accessv1.ActionEdit, check.Record{Type: "deals", Owner: "bob@acme.example", OwnerRole: "sales-junior", OwnerActive: true})
//	if d.Allowed { ... }
//
//	// May she use a capability?
//	if p.Capability("reports.access").Allowed { ... }
//
//	// Which deals may she view? One filter for the application's own query,
//	// equivalent to asking Action about each record (see Filter).
//	f := p.Filter(accessv1.ActionView, "deals")
//
// To hold the EffectivePermissions of many users of one tenant, compile them
// with one Compiler: its Permissions decide alike, and share the tenant's
// role ids, entries and reasons (a fraction of the memory; a decision costs
// the same at 10,000 users as at 1,000):
//
//	c := check.NewCompiler(specs...) // the tenant's EffectivePermissions at hand
//	p := c.Compile(&ep.Spec)         // each one as it comes or changes
//
// The two questions are kept apart (semantics.md §6). Action is always about
// a record: a Record whose Owner is empty is a non-member's record, which
// only All, Public and department-default grants reach, so forgetting the
// owner denies instead of falling back to the functional answer. Functional
// looks at no record. Both deny a type that is not an object type name (a
// lowercase DNS label such as deals, see ValidType): "Deals" does not fall
// back to the "*" entry.
//
// Compile allocates; Action, Functional and Capability do not (except to
// name a malformed type in a denial): every Reasons slice they return is
// prepared by Compile and shared, so callers must not modify it. Decide
// compiles and asks Action in one call; Explain, ExplainFunctional and ExplainCapability
// say in words which path decided a question, or why none applied, for
// `accessctl check --explain`.
//
// The algorithm is exactly the one of docs/effectivepermission.md. Where that
// text leaves a case open (only malformed or hand-written EPs reach these),
// the package reads it as follows, always failing closed:
//   - a nil spec or nil *Permissions denies everything; an unknown action is
//     denied even when the entry lists it; an unknown scope matches nothing;
//     an unknown access level ranks None and a Decision only ever carries
//     None, Read or ReadWrite;
//   - a grant whose scope does not fit spec.mode is evaluated by its own
//     rule: Visibility grants read the record's visibility the
//     PermissionGroup way, Department grants the Department way, whatever
//     the mode;
//   - Department grants read a stated visibility outside the four values as
//     Private; a PermissionGroup record stating such a value (or one its
//     type does not allow) takes the type's default visibility, as a record
//     stating none does (semantics.md §3);
//   - two Department grants of the same specificity (the spec allows one):
//     the one with the lower access stands; a Department grant naming both
//     user and role must match both;
//   - Role, User and Own grants with an empty role or user, and empty roles
//     in spec.subordinates, match nothing; of two entries of one type the
//     first stands; an entry's all field is a summary and is not read (its
//     All grants are);
//   - when several grants give the deciding access, Reasons is the via of
//     the first in the entry's order; create reports the record's
//     access but is decided, and explained, by the functional permission
//     alone; a hidden field's denial reports the record's access;
//   - a Record with no owner is read as a non-member's record: its
//     OwnerRole and OwnerActive are ignored, and a field is looked at as on
//     any record.
package check
