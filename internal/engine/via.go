package engine

import (
	"fmt"
	"strings"
)

// The via of a functional grant (an action source or a capability source,
// and the All grant that modifyAll / viewAll give) says which input gave it.
// They are written here and read back by ParseVia, so that what reads them
// — tests' properties, tools — reads structure, not string prefixes. Record
// paths (owner, hierarchy, peers, sharing rules, visibility, departments)
// are described by their grant's scope; ParseVia reads their kind only.

// ViaKind is what kind of input gave a grant: the word before the first
// colon of its via.
type ViaKind string

// The kinds of via.
const (
	// ViaAccountRole: "accountRole: ROLE", a Member's account role.
	ViaAccountRole ViaKind = "accountRole"
	// ViaPermissionSet: "permissionSet: NAME", one of a Member's sets.
	ViaPermissionSet ViaKind = "permissionSet"
	// ViaClientAccess: "clientAccess: PARTNER/MEMBER permissionSet SET,
	// granted by EMAIL", a partner staff template.
	ViaClientAccess ViaKind = "clientAccess"
	// ViaPartnerAccess: "partnerAccess: PA[, partnerAccess: PA...] (partner
	// admin of PARTNER)", the built-in partner-admin set, or
	// "partnerAccess: PA permissionSet SET (partner admin of PARTNER)", a
	// partner admin's own set.
	ViaPartnerAccess ViaKind = "partnerAccess"
	// ViaModifyAll and ViaViewAll: "modifyAll: SOURCE", "viewAll: SOURCE",
	// the All grant an action of SOURCE gives.
	ViaModifyAll ViaKind = "modifyAll"
	ViaViewAll   ViaKind = "viewAll"
)

// Via is a via read back.
type Via struct {
	Kind ViaKind
	// AccountRole of ViaAccountRole.
	AccountRole string
	// PermissionSet of ViaPermissionSet, ViaClientAccess (the template) and
	// ViaPartnerAccess (an own set; empty for the built-in set).
	PermissionSet string
	// Partner (the partner tenant) and Member (its Member) of
	// ViaClientAccess; Partner of ViaPartnerAccess.
	Partner, Member string
	// GrantedBy of ViaClientAccess: the granting partner admin's e-mail.
	GrantedBy string
	// PartnerAccesses of ViaPartnerAccess: the client's PartnerAccess
	// objects that give it.
	PartnerAccesses []string
	// Of is what a ViaModifyAll or ViaViewAll grant came from.
	Of *Via
}

// Source is the via that gave the grant: v itself, or what a modifyAll /
// viewAll grant came from.
func (v Via) Source() Via {
	for v.Of != nil {
		v = *v.Of
	}
	return v
}

func viaAccountRole(role string) string   { return string(ViaAccountRole) + ": " + role }
func viaPermissionSet(name string) string { return string(ViaPermissionSet) + ": " + name }
func viaModifyAll(source string) string   { return string(ViaModifyAll) + ": " + source }
func viaViewAll(source string) string     { return string(ViaViewAll) + ": " + source }

func viaClientAccess(partner, member, set, grantedBy string) string {
	return fmt.Sprintf("%s: %s/%s permissionSet %s, granted by %s", ViaClientAccess, partner, member, set, grantedBy)
}

// viaPartnerAdmin is the built-in set's via, from the PartnerAccess objects
// that give it.
func viaPartnerAdmin(pas []string, partner string) string {
	parts := make([]string, len(pas))
	for i, pa := range pas {
		parts[i] = string(ViaPartnerAccess) + ": " + pa
	}
	return strings.Join(parts, ", ") + " (partner admin of " + partner + ")"
}

// viaOwnSet is a partner admin's own set's via.
func viaOwnSet(pa, set, partner string) string {
	return fmt.Sprintf("%s: %s permissionSet %s (partner admin of %s)", ViaPartnerAccess, pa, set, partner)
}

// ParseVia reads a via the engine wrote. One it does not know comes back
// with its kind only (the word before the first colon, or the whole via).
func ParseVia(s string) Via {
	kind, rest, _ := strings.Cut(s, ": ")
	v := Via{Kind: ViaKind(kind)}
	switch v.Kind {
	case ViaAccountRole:
		v.AccountRole = rest
	case ViaPermissionSet:
		v.PermissionSet = rest
	case ViaModifyAll, ViaViewAll:
		of := ParseVia(rest)
		v.Of = &of
	case ViaClientAccess:
		who, rest, _ := strings.Cut(rest, " permissionSet ")
		v.Partner, v.Member, _ = strings.Cut(who, "/")
		v.PermissionSet, v.GrantedBy, _ = strings.Cut(rest, ", granted by ")
	case ViaPartnerAccess:
		i := strings.LastIndex(rest, " (partner admin of ")
		if i < 0 || !strings.HasSuffix(rest, ")") {
			break
		}
		v.Partner = strings.TrimSuffix(rest[i+len(" (partner admin of "):], ")")
		names := rest[:i]
		if pa, set, ok := strings.Cut(names, " permissionSet "); ok {
			v.PartnerAccesses, v.PermissionSet = []string{pa}, set
			break
		}
		for j, pa := range strings.Split(names, ", ") {
			if j > 0 {
				pa = strings.TrimPrefix(pa, string(ViaPartnerAccess)+": ")
			}
			v.PartnerAccesses = append(v.PartnerAccesses, pa)
		}
	}
	return v
}
