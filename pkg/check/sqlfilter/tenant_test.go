package sqlfilter_test

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
	"github.com/tenancy-dev/access-controller/internal/engine"
	et "github.com/tenancy-dev/access-controller/internal/engine/enginetest"
	"github.com/tenancy-dev/access-controller/internal/fixture"
	"github.com/tenancy-dev/access-controller/pkg/check"
	"github.com/tenancy-dev/access-controller/pkg/check/sqlfilter"
)

// The generated tenant: kiosk, whose e-mails (u7@kiosk.example) have a k
// and an s, so that records may spell them with the Kelvin sign and the
// long s, which strings.EqualFold equates and SQL's lower does not; and
// its partner agency desks.
const (
	client  = "kiosk"
	partner = "desks"
)

var (
	// tenantTypes are the types asked about: with entries of their own in
	// the fixture's sets (deals, leads, quotes, tickets) and with a policy of
	// their own in PermissionGroup mode (deals, leads, quotes).
	tenantTypes   = []string{"deals", "leads", "quotes", "tickets"}
	tenantActions = []accessv1.Action{accessv1.ActionView, accessv1.ActionCreate, accessv1.ActionEdit, accessv1.ActionDelete,
		accessv1.ActionExport, accessv1.ActionViewAll, accessv1.ActionModifyAll}
	// hideable are the fields Department rules hide; fieldPool adds one
	// nobody hides. The test asks Action about each on every allowed record.
	hideable  = []string{"amount", "margin", "phone"}
	fieldPool = append(slices.Clone(hideable), "title")
	// statedVisibilities are what records state: nothing, the four, and
	// two values that are none of them.
	statedVisibilities = []accessv1.Visibility{"", accessv1.VisibilityPublic, accessv1.VisibilityGroup, accessv1.VisibilityOwnerAndGroups,
		accessv1.VisibilityPrivate, "Everyone", "public"}
)

// envInt reads a count from the environment, else def.
func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive count", name, v)
	}
	return n
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

func some[T any](rng *rand.Rand, xs []T, pct int) []T {
	var out []T
	for _, x := range xs {
		if rng.IntN(100) < pct {
			out = append(out, x)
		}
	}
	return out
}

// world is the generated tenant: its objects, the people records name.
type world struct {
	objs     fixture.Objects
	emails   []string // the client's members
	partners []string // the partner's staff with access to the client
	roles    []string
}

// newWorld generates kiosk (the fixture tenant, with a tenth of its
// Standard members deactivated) and desks, a partner agency whose staff
// hold client access to kiosk through an approved PartnerAccess.
func newWorld(members, roles int, seed int64) *world {
	rng := rand.New(rand.NewPCG(uint64(seed), 13))
	w := &world{objs: fixture.Tenant(client, members, roles, seed)}
	for i := range w.objs.Members {
		m := &w.objs.Members[i]
		if m.Spec.AccountRole == accessv1.AccountRoleStandard && rng.IntN(10) == 0 {
			m.Spec.Active = new(false)
		}
		w.emails = append(w.emails, m.Spec.Email)
	}
	for _, r := range w.objs.Roles {
		w.roles = append(w.roles, r.Name)
	}
	ag := fixture.Tenant(partner, 6, 2, seed)
	ag.Tenants[0].Spec.PartnerProgram = &accessv1.PartnerProgram{Tier: accessv1.TierSolutionsPartner}
	admin := ag.Members[0].Spec.Email // a SuperAdmin of the agency, the client's partner admin
	sets := []string{"sales-rep", "read-only", "sales-manager"}
	for i := range ag.Members {
		mw := &et.MemberWrapper{Member: ag.Members[i]}
		mw.Employee().Seat()
		if i > 0 {
			mw.ClientAccess(client, admin, sets[i%len(sets)])
		}
		ag.Members[i] = mw.Member
		w.partners = append(w.partners, mw.Spec.Email)
	}
	pa := et.MakePartnerAccess(client, partner).ApprovedBy(w.emails[0]).Admin(admin).Obj()
	w.objs.Tenants = append(w.objs.Tenants, ag.Tenants...)
	w.objs.Members = append(w.objs.Members, ag.Members...)
	w.objs.Roles = append(w.objs.Roles, ag.Roles...)
	w.objs.PermissionSets = append(w.objs.PermissionSets, ag.PermissionSets...)
	w.objs.VisibilityPolicies = append(w.objs.VisibilityPolicies, ag.VisibilityPolicies...)
	w.objs.PartnerAccesses = append(w.objs.PartnerAccesses, *pa)
	return w
}

// compute sets the client's policy to mode and computes the world: in
// PermissionGroup mode three types have visibility settings, in Department
// mode a default and random rules by role and by user hide fields.
func (w *world) compute(mode accessv1.VisibilityMode, rng *rand.Rand) *engine.Result {
	pols := slices.Clone(w.objs.VisibilityPolicies)
	pols[0] = *pols[0].DeepCopy()
	pol := &pols[0].Spec
	pol.Mode = mode
	switch mode {
	case accessv1.ModePermissionGroup:
		pol.ObjectTypes = []accessv1.ObjectTypePolicy{
			{Name: "deals", DefaultVisibility: accessv1.VisibilityPublic, AllowedVisibilities: []accessv1.Visibility{accessv1.VisibilityGroup, accessv1.VisibilityPrivate}},
			{Name: "leads", DefaultVisibility: accessv1.VisibilityOwnerAndGroups},
			{Name: "quotes", DefaultVisibility: accessv1.VisibilityPrivate, AllowedVisibilities: []accessv1.Visibility{accessv1.VisibilityPublic, accessv1.VisibilityOwnerAndGroups}},
		}
	case accessv1.ModeDepartment:
		read := accessv1.AccessRead
		pol.DepartmentDefault = &read
		for i := range 24 {
			r := accessv1.DepartmentRule{
				ObjectTypes:  some(rng, tenantTypes, 50),
				From:         accessv1.Subject{Role: pick(rng, w.roles)},
				To:           accessv1.Subject{Role: pick(rng, w.roles)},
				Access:       pick(rng, []accessv1.AccessLevel{accessv1.AccessNone, accessv1.AccessRead, accessv1.AccessReadWrite}),
				HiddenFields: some(rng, hideable, 50),
			}
			if i%3 == 0 {
				r.From = accessv1.Subject{User: pick(rng, w.emails)}
			}
			if i%4 == 1 {
				r.To = accessv1.Subject{User: pick(rng, w.emails)}
			}
			if len(r.ObjectTypes) == 0 {
				r.ObjectTypes = []string{"deals"}
			}
			pol.DepartmentRules = append(pol.DepartmentRules, r)
		}
	}
	o := w.objs
	snap := o.Snapshot()
	snap.VisibilityPolicies = pols
	return engine.Compute(snap, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
}

// respell writes email in another spelling strings.EqualFold equates:
// upper case, or the Kelvin sign for k and the long s for s.
func respell(rng *rand.Rand, email string) string {
	if rng.IntN(2) == 0 {
		return strings.ToUpper(email)
	}
	return strings.NewReplacer("k", "\u212A", "s", "ſ").Replace(email)
}

// records draws n records as an application stores them: owners among the
// members (some spelled otherwise), the partner's staff, strangers and
// nobody, with the owner's role and activity the engine knows (now and then
// stale: another role, the other activity), every stated visibility and
// random groups. The role and activity are read from res, which is the
// same in every mode (the Members do not change).
func (w *world) records(rng *rand.Rand, res *engine.Result, n int) []row {
	strangers := []string{"stranger@elsewhere.example", "kim@kiosk.example", "ſtranger@elsewhere.example"}
	groups := append(slices.Clone(w.roles), "no-such-role")
	rows := make([]row, n)
	for i := range rows {
		var owner string
		switch k := rng.IntN(100); {
		case k < 55:
			owner = pick(rng, w.emails)
		case k < 70:
			owner = respell(rng, pick(rng, w.emails))
		case k < 80:
			owner = pick(rng, w.partners)
		case k < 90:
			owner = pick(rng, strangers)
		}
		rec := check.Record{Owner: owner, Visibility: pick(rng, statedVisibilities)}
		if owner != "" {
			ow := res.RecordOwner(client, owner)
			rec.OwnerRole, rec.OwnerActive = ow.Role, ow.Active
		}
		switch rng.IntN(12) {
		case 0:
			rec.OwnerRole = pick(rng, append(slices.Clone(w.roles), "", "no-such-role"))
		case 1:
			rec.OwnerActive = !rec.OwnerActive
		}
		if rng.IntN(3) == 0 {
			rec.Groups = some(rng, groups, 4)
			if len(rec.Groups) == 0 {
				rec.Groups = []string{pick(rng, groups)}
			}
		}
		rows[i] = row{rec: rec, null: rng.IntN(2) == 0}
	}
	return rows
}

// expect is the listing check gives: each record Action allows, with the
// fields of fieldPool Action denies on it.
func expect(p *check.Permissions, action accessv1.Action, typ string, rows []row) (listing, int) {
	want := listing{}
	asked := 0
	for i := range rows {
		rec := rows[i].rec
		rec.Type, rec.Field = typ, ""
		asked++
		if !p.Action(action, rec).Allowed {
			continue
		}
		hidden := []string{}
		for _, field := range fieldPool {
			rec.Field = field
			asked++
			if !p.Action(action, rec).Allowed {
				hidden = append(hidden, field)
			}
		}
		want[i+1] = hidden
	}
	return want, asked
}

// TestTenantInSQLite: a generated tenant's records in SQLite, and every
// user's filter of every action and type turned into SQL, in each
// visibility mode. Each query returns exactly the records Action allows,
// and hides on them exactly the fields Action denies.
// ACCESS_CONTROLLER_SQLFILTER_RECORDS and _MEMBERS make it larger.
func TestTenantInSQLite(t *testing.T) {
	start := time.Now()
	nRecords := envInt(t, "ACCESS_CONTROLLER_SQLFILTER_RECORDS", 10_000)
	nMembers := envInt(t, "ACCESS_CONTROLLER_SQLFILTER_MEMBERS", 30)
	rng := rand.New(rand.NewPCG(13, 4))
	w := newWorld(nMembers, max(nMembers/5, 3), 4)

	var rows []row
	db := openDB(t)
	var users, queries, decisions, allowed, withHidden, nonASCII, maxBranches int
	partnerEPs, inactiveOwners := 0, 0
	inactive := map[string]bool{} // the client's deactivated members, by OwnerKey
	for _, m := range w.objs.Members {
		if m.Namespace == client && m.Spec.Active != nil && !*m.Spec.Active {
			inactive[sqlfilter.OwnerKey(m.Spec.Email)] = true
		}
	}
	for _, mode := range []accessv1.VisibilityMode{accessv1.ModeRoleHierarchy, accessv1.ModePermissionGroup, accessv1.ModeDepartment} {
		res := w.compute(mode, rng)
		if rows == nil {
			rows = w.records(rng, res, nRecords)
			insert(t, db, rows)
			for _, r := range rows {
				if inactive[sqlfilter.OwnerKey(r.rec.Owner)] {
					inactiveOwners++
				}
				if sqlfilter.OwnerKey(r.rec.Owner) != strings.ToLower(r.rec.Owner) {
					nonASCII++
				}
			}
		}
		hidesSome := false
		for i := range res.EffectivePermissions {
			spec := &res.EffectivePermissions[i].Spec
			if spec.Tenant != client {
				continue
			}
			users++
			if spec.Partner != "" && spec.Active {
				partnerEPs++
			}
			p := check.Compile(spec)
			for _, action := range tenantActions {
				for _, typ := range tenantTypes {
					f := p.Filter(action, typ)
					// Half the queries read the groups from the join table with
					// "?", half from the JSON column with numbered placeholders.
					cols, numberedPH := joinCols, false
					if queries%2 == 1 {
						cols, numberedPH = jsonCols, true
					}
					got, q, err := list(db, f, cols, sqlfilter.Fields(f), numberedPH)
					if err != nil {
						t.Fatalf("%s %s %s %s: %v", mode, spec.User, action, typ, err)
					}
					want, asked := expect(p, action, typ, rows)
					if d := diffListing(got, want); d != "" {
						fj, _ := json.Marshal(f)
						t.Fatalf("%s: %s may %s %s: the query and Action disagree: %s\nfilter: %s\nquery: %s", mode, spec.User, action, typ, d, fj, q)
					}
					queries++
					decisions += asked
					allowed += len(want)
					for _, h := range want {
						if len(h) > 0 {
							withHidden++
							hidesSome = true
						}
					}
					maxBranches = max(maxBranches, len(f.Branches))
				}
			}
		}
		if mode == accessv1.ModeDepartment && !hidesSome {
			t.Errorf("Department mode: no allowed record hides a field; the test would not exercise Shown")
		}
	}
	if partnerEPs == 0 || inactiveOwners == 0 || nonASCII == 0 || allowed == 0 {
		t.Errorf("the world lost a case: %d active partner EPs, %d records of deactivated members, %d non-ASCII owner spellings, %d allowed",
			partnerEPs, inactiveOwners, nonASCII, allowed)
	}
	t.Logf("%d records in SQLite (%d of deactivated members, %d with an owner spelled beyond ASCII case); %d users' EPs in 3 modes (%d of them partner staff) × %d actions × %d types = %d queries, each checked against Action on every record: %d record and field decisions; %d (query, record) pairs allowed, %d of them hiding fields; largest filter %d branches; in %v",
		len(rows), inactiveOwners, nonASCII, users, partnerEPs, len(tenantActions), len(tenantTypes), queries, decisions, allowed, withHidden, maxBranches,
		time.Since(start).Round(time.Millisecond))
}
