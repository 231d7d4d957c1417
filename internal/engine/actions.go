package engine

import accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"

// actionBits is a set of actions, one bit each.
type actionBits uint8

const (
	bitView actionBits = 1 << iota
	bitCreate
	bitEdit
	bitDelete
	bitExport
	bitViewAll
	bitModifyAll

	allActionBits = bitView | bitCreate | bitEdit | bitDelete | bitExport | bitViewAll | bitModifyAll
)

// actionBit returns the bit of a known action, and false for anything else.
func actionBit(a accessv1.Action) (actionBits, bool) {
	switch a {
	case accessv1.ActionView:
		return bitView, true
	case accessv1.ActionCreate:
		return bitCreate, true
	case accessv1.ActionEdit:
		return bitEdit, true
	case accessv1.ActionDelete:
		return bitDelete, true
	case accessv1.ActionExport:
		return bitExport, true
	case accessv1.ActionViewAll:
		return bitViewAll, true
	case accessv1.ActionModifyAll:
		return bitModifyAll, true
	}
	return 0, false
}

// implied expands the implications of semantics.md §1: edit, delete, export
// and viewAll imply view; modifyAll implies viewAll, edit, delete and view.
func (b actionBits) implied() actionBits {
	if b&bitModifyAll != 0 {
		b |= bitViewAll | bitEdit | bitDelete
	}
	if b&(bitEdit|bitDelete|bitExport|bitViewAll) != 0 {
		b |= bitView
	}
	return b
}

func (b actionBits) has(x actionBits) bool { return b&x == x }

// list returns the actions in b, sorted by name.
func (b actionBits) list() []accessv1.Action {
	var out []accessv1.Action
	for _, a := range accessv1.AllActions { // already sorted by name
		if bit, _ := actionBit(a); b&bit != 0 {
			out = append(out, a)
		}
	}
	return out
}
