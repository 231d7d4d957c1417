package question

import (
	"fmt"
	"slices"
	"strings"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	"github.com/tenancy-dev/access-controller/pkg/check"
)

// Question is one access question: a capability, or an action on a type,
// either functional (no owner) or about one record (its owner, and the
// visibility, groups and field it states). User is who is asked about; a
// who-can question leaves it empty and asks every user of the tenant. The
// JSON names are the decision server's.
type Question struct {
	Tenant     string              `json:"tenant"`
	User       string              `json:"user,omitempty"`
	Capability string              `json:"capability,omitempty"`
	Action     accessv1.Action     `json:"action,omitempty"`
	Type       string              `json:"type,omitempty"`
	Owner      string              `json:"owner,omitempty"`
	Visibility accessv1.Visibility `json:"visibility,omitempty"`
	Groups     []string            `json:"groups,omitempty"`
	Field      string              `json:"field,omitempty"`
}

// Actions are the actions in the order api.md lists them, for messages.
var Actions = []accessv1.Action{
	accessv1.ActionView, accessv1.ActionCreate, accessv1.ActionEdit, accessv1.ActionDelete,
	accessv1.ActionExport, accessv1.ActionViewAll, accessv1.ActionModifyAll,
}

// Visibilities are the four visibilities a record may state.
var Visibilities = []accessv1.Visibility{
	accessv1.VisibilityPublic, accessv1.VisibilityGroup, accessv1.VisibilityOwnerAndGroups, accessv1.VisibilityPrivate,
}

// recordParts describe a record; they need an action.
var recordParts = []string{"type", "owner", "visibility", "groups", "field"}

// Form is how a caller names the parts of a question (tenant, user,
// capability, action, type, owner, visibility, groups, field) in messages,
// and which parts it was given: accessctl names flags (--owner) and counts a
// flag given even when empty; the decision server names JSON fields (owner)
// and counts a field given when it is not empty.
type Form struct {
	Name  func(part string) string
	Given func(part string) bool
}

// JSONForm is the decision server's Form for q: parts are named as its JSON
// fields, and a field is given when it is not empty (an empty string, or
// no groups, is a field left out).
func JSONForm(q *Question) Form {
	return Form{Name: func(part string) string { return part }, Given: func(part string) bool {
		switch part {
		case "tenant":
			return q.Tenant != ""
		case "user":
			return q.User != ""
		case "capability":
			return q.Capability != ""
		case "action":
			return q.Action != ""
		case "type":
			return q.Type != ""
		case "owner":
			return q.Owner != ""
		case "visibility":
			return q.Visibility != ""
		case "groups":
			return len(q.Groups) > 0
		case "field":
			return q.Field != ""
		}
		return false
	}}
}

// Error is a question that cannot be asked, said in the caller's Form.
type Error struct{ msg string }

func (e *Error) Error() string { return e.msg }

func errorf(format string, args ...any) error { return &Error{msg: fmt.Sprintf(format, args...)} }

// Validate reports the first thing that makes q unanswerable, nil when
// there is none. With withUser, q must name a user (check); without, the
// user is not looked at (who-can). An unknown tenant or user is no error:
// such a question is answered, and denied.
func (q *Question) Validate(withUser bool, f Form) error {
	n := f.Name
	if withUser {
		if q.Tenant != "" && q.User == "" {
			return errorf("%s is required", n("user"))
		}
		if q.User != "" && !engine.ValidEmail(q.User) {
			return errorf("%s %q: not an e-mail address; write it as name@example.com", n("user"), q.User)
		}
	}
	switch {
	case q.Tenant == "":
		return errorf("%s is required", n("tenant"))
	case f.Given("capability") == f.Given("action"):
		return errorf("give exactly one of %s and %s", n("capability"), n("action"))
	}
	if f.Given("capability") {
		if q.Capability == "" {
			return errorf("%s must not be empty", n("capability"))
		}
		for _, part := range recordParts {
			if f.Given(part) {
				return errorf("%s describes a record: use it with %s, not %s", n(part), n("action"), n("capability"))
			}
		}
		return nil
	}
	if !slices.Contains(Actions, q.Action) {
		return errorf("%s %q: want one of %s", n("action"), q.Action, JoinActions(Actions))
	}
	if q.Type == "" {
		return errorf("%s needs %s, the record's object type (e.g. deals)", n("action"), n("type"))
	}
	if !check.ValidType(q.Type) {
		return errorf("%s %q: an object type is a lowercase DNS label (e.g. deals, business-cards)", n("type"), q.Type)
	}
	if q.Owner != "" && !engine.ValidEmail(q.Owner) {
		return errorf("%s %q: not an e-mail address; write it as name@example.com", n("owner"), q.Owner)
	}
	if q.Visibility != "" && !slices.Contains(Visibilities, q.Visibility) {
		return errorf("%s %q: want Public, Group, OwnerAndGroups or Private", n("visibility"), q.Visibility)
	}
	if f.Given("field") && q.Field == "" {
		return errorf("%s must not be empty", n("field"))
	}
	if q.Owner == "" {
		for _, part := range []string{"visibility", "groups", "field"} {
			if f.Given(part) {
				return errorf("%s describes a record: give its %s too (without %s, check answers the functional decision for the type)", n(part), n("owner"), n("owner"))
			}
		}
	}
	return nil
}

// String is the question in words, e.g. "may edit deals owned by
// jim@northwind.example" or "hold capability billing.access".
func (q *Question) String() string {
	if q.Capability != "" {
		return "hold capability " + q.Capability
	}
	var b strings.Builder
	fmt.Fprintf(&b, "may %s %s", q.Action, q.Type)
	if q.Owner != "" {
		fmt.Fprintf(&b, " owned by %s", q.Owner)
	}
	if q.Visibility != "" {
		fmt.Fprintf(&b, " with visibility %s", q.Visibility)
	}
	if len(q.Groups) > 0 {
		fmt.Fprintf(&b, " naming groups %s", strings.Join(q.Groups, ","))
	}
	if q.Field != "" {
		fmt.Fprintf(&b, " (field %s)", q.Field)
	}
	return b.String()
}

// Record is the record q describes (it names an owner), with the owner's
// role and membership as the engine knows them.
func (q *Question) Record(owner engine.Owner) check.Record {
	var groups []string
	for _, g := range q.Groups {
		if g = strings.TrimSpace(g); g != "" {
			groups = append(groups, g)
		}
	}
	return check.Record{
		Type:        q.Type,
		Owner:       q.Owner,
		OwnerRole:   owner.Role,
		OwnerActive: owner.Active,
		Visibility:  q.Visibility,
		Groups:      groups,
		Field:       q.Field,
	}
}

// JoinActions lists actions with commas.
func JoinActions(as []accessv1.Action) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}
