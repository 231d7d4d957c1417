package engine

import (
	"cmp"
	"slices"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// roleNode is one Role of a tenant's tree; the built-in ceo is always there.
type roleNode struct {
	name   string
	parent string // "" for ceo
	obj    *accessv1.Role
	// broken is true when the role's reportsTo names no Role or the role sits
	// in a cycle: its own members then see only their own records
	// (semantics.md §6). Roles below it keep their paths.
	broken   bool
	inCycle  bool
	children []string
	depth    int32
	inTree   bool // reached from ceo through unbroken parents: depth means something

	subordinates []accessv1.RoleEdge // lazily computed, read-only once set
	subsDone     bool

	digest   digest // nodeDigest, once digested
	digested bool
	members  int32 // the tenant's Members with this role (summarize)
}

// roleTree is the tenant's role tree.
type roleTree struct {
	nodes map[string]*roleNode
}

// buildRoleTree links the roles, finds missing parents and cycles, and
// reports them. roles excludes any user-written ceo.
func buildRoleTree(t *tenant, roles []*accessv1.Role, fs *findings) *roleTree {
	tr := &roleTree{nodes: map[string]*roleNode{accessv1.CEORole: {name: accessv1.CEORole}}}
	for _, r := range roles {
		tr.nodes[r.Name] = &roleNode{name: r.Name, parent: r.Parent(), obj: r}
	}
	names := make([]string, 0, len(roles))
	for _, r := range roles {
		names = append(names, r.Name)
	}
	slices.Sort(names)

	// Missing parents.
	for _, n := range names {
		node := tr.nodes[n]
		if _, ok := tr.nodes[node.parent]; !ok {
			node.broken = true
			fs.add(Reported, t.name, refOf(accessv1.KindRole, t.ns, n), "spec.reportsTo", accessv1.ReasonParentNotFound,
				"Role %q reports to %q, which does not exist in tenant %q; its members see only their own records until it does: create Role %q or change spec.reportsTo",
				n, node.parent, t.name, node.parent)
		}
	}
	// Cycles: walk up from each role; a role met twice on one walk is in a cycle.
	state := map[string]int{} // 0 unvisited, 1 on the current walk, 2 done
	for _, start := range names {
		var walk []string
		cur := start
		for cur != "" && state[cur] == 0 {
			node, ok := tr.nodes[cur]
			if !ok {
				break
			}
			state[cur] = 1
			walk = append(walk, cur)
			cur = node.parent
		}
		if cur != "" && state[cur] == 1 { // closed a cycle at cur
			i := slices.Index(walk, cur)
			cycle := walk[i:]
			for _, n := range cycle {
				tr.nodes[n].broken, tr.nodes[n].inCycle = true, true
				if len(cycle) == 1 { // the CEL rule's words: the API server refuses it first
					fs.add(Refused, t.name, refOf(accessv1.KindRole, t.ns, n), "spec.reportsTo", accessv1.ReasonRoleCycle,
						"Role %q cannot report to itself; name its parent Role (default ceo)", n)
					continue
				}
				fs.add(Refused, t.name, refOf(accessv1.KindRole, t.ns, n), "spec.reportsTo", accessv1.ReasonRoleCycle,
					"Role %q reports to %q, which closes a cycle (%s); roles must form one tree under ceo: point one of them at a role outside the cycle",
					n, tr.nodes[n].parent, cycleText(cycle, n))
			}
		}
		for _, n := range walk {
			state[n] = 2
		}
	}
	// Children and depth (depth follows unbroken chains only).
	for _, n := range names {
		node := tr.nodes[n]
		if p, ok := tr.nodes[node.parent]; ok && !node.inCycle {
			p.children = append(p.children, n)
		}
	}
	for _, node := range tr.nodes {
		slices.Sort(node.children)
	}
	var setDepth func(string, int32)
	setDepth = func(n string, d int32) {
		node := tr.nodes[n]
		node.depth, node.inTree = d, true
		for _, c := range node.children {
			setDepth(c, d+1)
		}
	}
	setDepth(accessv1.CEORole, 0)
	return tr
}

func cycleText(cycle []string, from string) string {
	i := slices.Index(cycle, from)
	s := ""
	for k := 0; k <= len(cycle); k++ {
		if k > 0 {
			s += " > "
		}
		s += cycle[(i+k)%len(cycle)]
	}
	return s
}

// descendants counts the roles strictly below name, without building the
// list (the status needs only the number). Child links never form a cycle:
// roles in a cycle are not linked as children.
func (tr *roleTree) descendants(name string, memo map[string]int32) int32 {
	if n, ok := memo[name]; ok {
		return n
	}
	var n int32
	for _, c := range tr.nodes[name].children {
		n += 1 + tr.descendants(c, memo)
	}
	memo[name] = n
	return n
}

// has reports whether a Role of that name exists (ceo always does).
func (tr *roleTree) has(name string) bool { _, ok := tr.nodes[name]; return ok }

// subordinatesOf returns every role strictly below name with its parent,
// sorted by role. The result is shared and must not be modified.
func (tr *roleTree) subordinatesOf(name string) []accessv1.RoleEdge {
	node := tr.nodes[name]
	if node == nil {
		return nil
	}
	if node.subsDone {
		return node.subordinates
	}
	var out []accessv1.RoleEdge
	var walk func(string)
	walk = func(n string) {
		for _, c := range tr.nodes[n].children {
			out = append(out, accessv1.RoleEdge{Role: c, ReportsTo: n})
			walk(c)
		}
	}
	walk(name)
	slices.SortFunc(out, func(a, b accessv1.RoleEdge) int { return cmp.Compare(a.Role, b.Role) })
	node.subordinates, node.subsDone = out, true
	return out
}
