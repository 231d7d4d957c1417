package check

import (
	"cmp"
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"

	accessv1 "github.com/tenancy-dev/access-controller/api/v1alpha1"
)

// A Compiler compiles the EffectivePermissions of one tenant, sharing what
// they have in common: role names interned to small integers (in the
// pre-order of the tenant's role tree, so that a role's subordinates are
// one interval of ids), and each distinct entry of spec.objects — and each
// distinct set of entries — compiled once for all the users who hold it.
// Its Permissions decide exactly as Compile's do, each from its own
// EffectivePermission alone: what is shared only makes the same decision
// cheaper. They take a twentieth of the memory, and a decision costs about
// the same in a tenant of 10,000 users as in one of 1,000.
//
// Prepare a Compiler with the tenant's EffectivePermissions (NewCompiler),
// then compile each one as it changes: names it has not seen yet are
// interned as they come. A Compiler is safe for concurrent use (it compiles
// one spec at a time), and so are the Permissions it returns.
type Compiler struct {
	mu    sync.Mutex
	seen  names     // every role seen, for the next table
	roles roleTable // the current table, immutable
	fresh int       // roles seen since roles was built
	// entries and sets are those compiled with roles, for sharing.
	entries map[uint64][]sharedEntry // by the hash of their ObjectPermission
	sets    map[string]*entrySet     // by setKey
	caps    map[uint64][]sharedCaps  // by the hash of their capability lists
	serial  uint32                   // the last entry serial given
	seed    maphash.Seed
	key     []byte // setKey's buffer
}

// sharedEntry is an entry and the ObjectPermission it was compiled from.
type sharedEntry struct {
	src *accessv1.ObjectPermission
	e   *entry
}

// sharedCaps is a Permissions' capabilities and the lists they were
// compiled from.
type sharedCaps struct {
	src                    capabilityLists
	capabilities, withheld map[string][]string
	allCaps                bool
	starReasons            []string
}

// capabilityLists are what compileCapabilities reads of a spec.
type capabilityLists struct {
	capabilities, withheld []string
	sources                []accessv1.CapabilitySource
}

// maxShared bounds the entries (and capability sets) a Compiler keeps for
// sharing: past it, it starts afresh, and the Permissions compiled before
// keep theirs. It is ample for the distinct entries of a tenant (2,834 at
// 10,000 users and 1,000 roles), and bounds what churn leaves behind.
const maxShared = 1 << 14

// NewCompiler returns a Compiler for one tenant, prepared with specs (any
// number of its EffectivePermissions; nil ones are skipped).
func NewCompiler(specs ...*accessv1.EffectivePermissionSpec) *Compiler {
	c := &Compiler{seen: newNames(), seed: maphash.MakeSeed()}
	for _, s := range specs {
		if s != nil {
			c.seen.add(s.Expanded())
		}
	}
	c.rebuild()
	return c
}

// Compile indexes spec for many questions, as the package's Compile does,
// sharing the Compiler's tables. A nil spec compiles to a Permissions that
// denies everything.
func (c *Compiler) Compile(spec *accessv1.EffectivePermissionSpec) *Permissions {
	if spec == nil {
		return Compile(nil)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return compile(spec, c)
}

func (c *Compiler) rebuild() {
	c.roles, c.fresh = c.seen.build(), 0
	c.startSharing()
}

// startSharing forgets what was kept for sharing.
func (c *Compiler) startSharing() {
	c.entries, c.sets, c.caps = map[uint64][]sharedEntry{}, map[string]*entrySet{}, map[uint64][]sharedCaps{}
}

// table is the role table to compile spec with (c.mu held). Roles the
// current table lacks are noted; once enough have come (a quarter of the
// table), the next table holds them. Until then a Permissions keeps those
// few roles of its own (rare.extraRoles), so the table is rebuilt a logarithmic
// number of times however the roles arrive.
func (c *Compiler) table(spec *accessv1.EffectivePermissionSpec) roleTable {
	if n := c.seen.add(spec); n > 0 {
		c.fresh += n
		if c.fresh > 16+c.roles.len()/4 {
			c.rebuild()
		}
	}
	return c.roles
}

// entry compiles o for p: with c, the entry compiled before from an equal
// ObjectPermission if there is one.
func (c *Compiler) entry(p *Permissions, o *accessv1.ObjectPermission) *entry {
	if c == nil {
		e, _ := p.finishEntry(compileEntry(o))
		return e
	}
	h := c.hash(o)
	for _, s := range c.entries[h] {
		if reflect.DeepEqual(s.src, o) {
			return s.e
		}
	}
	e, shareable := p.finishEntry(compileEntry(o))
	if shareable {
		if len(c.entries) >= maxShared {
			c.startSharing()
		}
		c.serial++
		e.serial = c.serial
		c.entries[h] = append(c.entries[h], sharedEntry{src: o.DeepCopy(), e: e})
	}
	return e
}

// set returns s, or the equal set compiled before (c may be nil).
func (c *Compiler) set(s *entrySet) *entrySet {
	if c == nil || s.over != nil && s.over.extra != nil {
		return s
	}
	k := c.key[:0]
	add := func(id int, e *entry) bool {
		if e == nil {
			return true
		}
		if e.serial == 0 { // an entry of p's own
			return false
		}
		k = binary.AppendUvarint(k, uint64(id))
		k = binary.AppendUvarint(k, uint64(e.serial))
		return true
	}
	ok := add(0, s.wildcard)
	for id, e := range s.byType {
		ok = ok && add(id+1, e)
	}
	if s.over != nil {
		for j, e := range s.over.more {
			ok = ok && add(setSlots+j+1, e)
		}
	}
	c.key = k
	if !ok {
		return s
	}
	if shared, found := c.sets[string(k)]; found {
		return shared
	}
	c.sets[string(k)] = s
	return s
}

// sharedCapabilities gives p the capabilities compiled before from equal
// lists, and reports whether there were any (c may be nil).
func (c *Compiler) sharedCapabilities(p *Permissions, spec *accessv1.EffectivePermissionSpec) bool {
	if c == nil {
		return false
	}
	l := capabilityLists{spec.Capabilities, spec.WithheldCapabilities, spec.CapabilitySources}
	for _, s := range c.caps[c.hashCapabilities(&l)] {
		if reflect.DeepEqual(s.src, l) {
			p.capabilities, p.withheld, p.allCaps, p.starReasons = s.capabilities, s.withheld, s.allCaps, s.starReasons
			return true
		}
	}
	return false
}

// shareCapabilities keeps p's capabilities, compiled from spec, for the
// Permissions to come (c may be nil).
func (c *Compiler) shareCapabilities(p *Permissions, spec *accessv1.EffectivePermissionSpec) {
	if c == nil {
		return
	}
	if len(c.caps) >= maxShared {
		c.startSharing()
	}
	l := capabilityLists{slices.Clone(spec.Capabilities), slices.Clone(spec.WithheldCapabilities), nil}
	for _, s := range spec.CapabilitySources {
		l.sources = append(l.sources, *s.DeepCopy())
	}
	h := c.hashCapabilities(&l)
	c.caps[h] = append(c.caps[h], sharedCaps{src: l, capabilities: p.capabilities, withheld: p.withheld, allCaps: p.allCaps, starReasons: p.starReasons})
}

func (c *Compiler) hashCapabilities(l *capabilityLists) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	for _, list := range [][]string{l.capabilities, l.withheld} {
		for _, s := range list {
			h.WriteString(s)
			h.WriteByte(0)
		}
		h.WriteByte(1)
	}
	for _, s := range l.sources {
		h.WriteString(s.Via)
		h.WriteByte(2)
		for _, n := range s.Capabilities {
			h.WriteString(n)
			h.WriteByte(0)
		}
	}
	return h.Sum64()
}

// hash hashes what an ObjectPermission holds; equal ones hash alike (the
// fields it leaves out only make collisions, which DeepEqual settles).
func (c *Compiler) hash(o *accessv1.ObjectPermission) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	str := func(s string) {
		h.WriteString(s)
		h.WriteByte(0)
	}
	str(o.Type)
	for _, a := range o.Actions {
		str(string(a))
	}
	h.WriteByte(1)
	for _, s := range o.ActionSources {
		str(s.Via)
		for _, a := range s.Actions {
			str(string(a))
		}
		h.WriteByte(2)
	}
	if o.Visibility != nil {
		str(string(o.Visibility.Default))
		for _, v := range o.Visibility.Allowed {
			str(string(v))
		}
	}
	h.WriteByte(3)
	for i := range o.Grants {
		g := &o.Grants[i]
		str(string(g.Scope))
		str(g.Role)
		str(g.User)
		str(string(g.Visibility))
		str(string(g.Access))
		for _, v := range g.Via {
			str(v)
		}
		h.WriteByte(4)
		for _, f := range g.HiddenFields {
			str(f)
		}
		h.WriteByte(5)
	}
	return h.Sum64()
}

// finishEntry completes a compiled entry for p: role and type ids, the
// packed grants. It is shareable when every role it names has an id in p's
// table (not one of p's own, see rare).
func (p *Permissions) finishEntry(e *entry) (*entry, bool) {
	shareable := true
	role := func(r string) int32 {
		if r == "" {
			return -1
		}
		if _, ok := p.roles.get(r); !ok {
			shareable = false
		}
		return p.internRole(r)
	}
	if id, ok := p.types.ids.get(e.typ); ok {
		e.info = p.types.infos[id]
	} else if e.typ == accessv1.AllTypes {
		e.info = wildcardInfo
	} else {
		e.info = newTypeInfo(e.typ)
	}
	if len(e.visAllowed) == 0 {
		e.visMask = 1<<visPublic | 1<<visGroup | 1<<visOwnerAndGroups | 1<<visPrivate
	}
	for _, v := range e.visAllowed {
		if pv := parseVis(v); pv != visNone && pv != visInvalid {
			e.visMask |= 1 << pv
		}
	}
	e.hot = make([]hotGrant, len(e.grants))
	for i := range e.grants {
		g := &e.grants[i]
		h := hotGrant{scope: g.scope, rank: uint8(g.rank), vis: g.vis, role: -1}
		switch g.scope {
		case scopeRole:
			h.role = role(g.role)
			e.usesRole = true
		case scopeUser:
			h.user = g.user
		case scopeHierarchy, scopeVisibility, scopeDepartment:
			e.usesRole = true
		}
		e.hot[i] = h
	}
	for r, i := range e.deptRoles {
		e.deptByRole = append(e.deptByRole, deptRole{role: role(r), grant: i})
	}
	slices.SortFunc(e.deptByRole, func(a, b deptRole) int { return cmp.Compare(a.role, b.role) })
	return e, shareable
}

// internRole returns the id of role r for p, giving it one of p's own when
// p's table lacks it; -1 for the empty role.
func (p *Permissions) internRole(r string) int32 {
	if r == "" {
		return -1
	}
	if id, ok := p.roles.get(r); ok {
		return id
	}
	x := p.rareData()
	if x.extraRoles == nil {
		x.extraRoles = map[string]int32{}
	}
	id, ok := x.extraRoles[r]
	if !ok {
		id = int32(p.roles.len() + len(x.extraRoles))
		x.extraRoles[r] = id
	}
	return id
}

// roleOf returns the id of role r, -1 when it is none of the roles p names
// (the empty role included): then it equals none of them.
func (p *Permissions) roleOf(r string) int32 {
	if id, ok := p.roles.get(r); ok {
		return id
	}
	if p.hasRare {
		if id, ok := p.rare.extraRoles[r]; ok {
			return id
		}
	}
	return -1
}

// rareData returns p.rare, made when it is nil.
func (p *Permissions) rareData() *rare {
	if p.rare == nil {
		p.rare, p.hasRare = &rare{}, true
	}
	return p.rare
}

// below reports whether role id is one of spec.subordinates.
func (p *Permissions) below(id int32) bool {
	u := uint32(id - p.sub.lo)
	return id >= 0 && u < uint32(p.sub.n) && (!p.hasRare || p.rare.subBits == nil || p.rare.subBits[u>>6]&(1<<(u&63)) != 0)
}

// setSubordinates records the ids of spec.subordinates, which it sorts: an
// interval [lo, lo+n), with a bitmap of which of it when there are gaps.
func (p *Permissions) setSubordinates(ids []int32) {
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for len(ids) > 0 && ids[0] < 0 {
		ids = ids[1:]
	}
	if len(ids) == 0 {
		return
	}
	p.sub = roleSpan{lo: ids[0], n: ids[len(ids)-1] - ids[0] + 1}
	if int(p.sub.n) != len(ids) {
		bits := make([]uint64, (p.sub.n+63)/64)
		for _, id := range ids {
			u := uint32(id - p.sub.lo)
			bits[u>>6] |= 1 << (u & 63)
		}
		p.rareData().subBits = bits
	}
}

// roleSpan is an interval of role ids: [lo, lo+n).
type roleSpan struct{ lo, n int32 }

// entrySet is the entries of one Permissions by type. A Compiler shares it
// between the Permissions that hold the same entries.
type entrySet struct {
	// actions are byType[id].actions | hasEntry, 0 where there is no
	// entry: a functional denial reads no entry.
	actions  [setSlots]uint8
	wildcard *entry           // the "*" entry, nil when absent
	over     *setOver         // the other types' entries, nil when none
	byType   [setSlots]*entry // by type id (typeTable) below setSlots
}

// setSlots makes an entrySet 128 bytes.
const setSlots = 12

// hasEntry marks a slot with an entry in entrySet.actions (actions use
// the low numActions bits).
const hasEntry = 0x80

// setOver holds the entries of types with an id from setSlots, or none.
type setOver struct {
	more  []*entry          // by type id - setSlots, below maxTypeSlot
	extra map[string]*entry // types with a higher id or none
}

// maxTypeSlot is the type ids an entrySet indexes; an entry of a type with
// a higher id (or none) goes to its extra map.
const maxTypeSlot = 128

// get returns the entry of the type of id, nil when it has none of its own.
func (s *entrySet) get(id int32) *entry {
	if uint32(id) < setSlots {
		return s.byType[id]
	}
	if s.over != nil {
		if j := int(id) - setSlots; j >= 0 && j < len(s.over.more) {
			return s.over.more[j]
		}
	}
	return nil
}

// of returns the entry of typ, nil when it has none of its own.
func (s *entrySet) of(types *typeTable, typ string) *entry {
	if id, ok := types.ids.get(typ); ok {
		if e := s.get(id); e != nil {
			return e
		}
	}
	if s.over != nil {
		return s.over.extra[typ]
	}
	return nil
}

// add makes e the entry of typ.
func (s *entrySet) add(types *typeTable, typ string, e *entry) {
	id, ok := types.ids.get(typ)
	if ok && id < setSlots {
		s.byType[id], s.actions[id] = e, e.actions|hasEntry
		return
	}
	if s.over == nil {
		s.over = &setOver{}
	}
	if !ok || id >= maxTypeSlot {
		if s.over.extra == nil {
			s.over.extra = map[string]*entry{}
		}
		s.over.extra[typ] = e
		return
	}
	j := int(id) - setSlots
	if j >= len(s.over.more) {
		s.over.more = append(s.over.more, make([]*entry, j+1-len(s.over.more))...)
	}
	s.over.more[j] = e
}

// names collects the role names a table interns.
type names struct {
	parent map[string]string // role → the role it reports to, as last written
	roles  map[string]bool
}

func newNames() names {
	return names{parent: map[string]string{}, roles: map[string]bool{}}
}

// add adds spec's role names, and returns how many were new.
func (n *names) add(spec *accessv1.EffectivePermissionSpec) int {
	added := 0
	role := func(r string) {
		if r != "" && !n.roles[r] {
			n.roles[r] = true
			added++
		}
	}
	role(spec.Role)
	for _, s := range spec.Subordinates {
		if s.Role == "" {
			continue
		}
		role(s.Role)
		role(s.ReportsTo)
		n.parent[s.Role] = s.ReportsTo
	}
	for i := range spec.Objects {
		for j := range spec.Objects[i].Grants {
			role(spec.Objects[i].Grants[j].Role)
		}
	}
	return added
}

// roleTable numbers role names, from 0. It is never changed once built, so
// decisions read it without locks.
type roleTable = *nameIndex

// noRoles is the role table of a nil spec.
var noRoles = newNameIndex(nil)

// build numbers the roles in the pre-order of the tree their edges draw
// (children by name).
func (n *names) build() roleTable {
	t := make(map[string]int32, len(n.roles))
	children := map[string][]string{}
	var roots []string
	for r := range n.roles {
		if p := n.parent[r]; p != "" && n.roles[p] {
			children[p] = append(children[p], r)
		} else {
			roots = append(roots, r)
		}
	}
	slices.Sort(roots)
	for _, c := range children {
		slices.Sort(c)
	}
	var stack []string
	visit := func(root string) {
		stack = append(stack[:0], root)
		for len(stack) > 0 {
			r := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if _, done := t[r]; done {
				continue
			}
			t[r] = int32(len(t))
			c := children[r]
			for i := len(c) - 1; i >= 0; i-- {
				stack = append(stack, c[i])
			}
		}
	}
	for _, r := range roots {
		visit(r)
	}
	// Roles in a cycle (edges of EPs that disagree) hang from no root.
	var rest []string
	for r := range n.roles {
		if _, done := t[r]; !done {
			rest = append(rest, r)
		}
	}
	slices.Sort(rest)
	for _, r := range rest {
		visit(r)
	}
	byID := make([]string, len(t))
	for r, id := range t {
		byID[id] = r
	}
	return newNameIndex(byID)
}

// typeTable numbers object type names, with the reasons each type's
// entries share. One table serves the whole process: type names are few,
// so Permissions compiled alone share them too. It grows by copy (a new
// table; the Permissions compiled before keep theirs) up to maxTypes names;
// past that, types are a Permissions' own (entrySet.extra).
type typeTable struct {
	ids   *nameIndex  // type name (ValidType) → id, from 0
	names []string    // by id
	infos []*typeInfo // by id
}

// maxTypes bounds the process's type table.
const maxTypes = 4096

var (
	typesMu sync.Mutex
	types   atomic.Pointer[typeTable]
)

func init() { types.Store(&typeTable{ids: newNameIndex(nil)}) }

// typesFor returns the type table, holding spec's types as far as the bound
// lets it.
func typesFor(spec *accessv1.EffectivePermissionSpec) *typeTable {
	t := types.Load()
	missing := func(t *typeTable) bool {
		if len(t.names) >= maxTypes {
			return false
		}
		for i := range spec.Objects {
			if typ := spec.Objects[i].Type; ValidType(typ) {
				if _, ok := t.ids.get(typ); !ok {
					return true
				}
			}
		}
		return false
	}
	if !missing(t) {
		return t
	}
	typesMu.Lock()
	defer typesMu.Unlock()
	if t = types.Load(); !missing(t) {
		return t
	}
	next := &typeTable{names: slices.Clone(t.names), infos: slices.Clone(t.infos)}
	for i := range spec.Objects {
		typ := spec.Objects[i].Type
		if ValidType(typ) && !slices.Contains(next.names, typ) && len(next.names) < maxTypes {
			next.names = append(next.names, typ)
			next.infos = append(next.infos, newTypeInfo(typ))
		}
	}
	next.ids = newNameIndex(next.names)
	types.Store(next)
	return next
}

// typeInfo is what the entries of one type share: the reasons of the
// denials that depend only on the type and the action.
type typeInfo struct {
	noAction       [numActions][]string // "no functional permission: ..."
	needRW         [numActions][]string // "access Read ..., edit needs ReadWrite"
	noView         []string
	noGrant        []string
	noGrantNoOwner []string // noGrant for a record with no owner
}

// wildcardInfo is the typeInfo of every "*" entry.
var wildcardInfo = newTypeInfo(accessv1.AllTypes)

func newTypeInfo(typ string) *typeInfo {
	if typ == accessv1.AllTypes {
		typ = "any type" // the "*" entry answers for types with no entry of their own
	}
	ti := &typeInfo{
		noView:         []string{"no view on " + typ + ": the user sees no record of this type"},
		noGrant:        []string{"no grant on " + typ + " gives access to this record"},
		noGrantNoOwner: []string{"no grant on " + typ + " reaches a record with no owner: it is read as a non-member's record"},
	}
	for ai := range numActions {
		name := string(actionNames[ai])
		ti.noAction[ai] = []string{"no functional permission: the user may not " + name + " on " + typ}
		if actionNeed[ai] == 2 {
			ti.needRW[ai] = []string{"access Read on this " + typ + " record, but " + name + " needs ReadWrite"}
		}
	}
	return ti
}

// foldKey is the first 8 bytes of s (zero-padded) with bit 0x20 set in each:
// two strings equal under strings.EqualFold, one of them ASCII and both of
// the same length, have equal keys.
func foldKey(s string) uint64 {
	const case20 = 0x2020202020202020
	if len(s) >= 8 {
		return le64(s) | case20
	}
	var k uint64
	for i := range len(s) {
		k |= uint64(s[i]) << (8 * i)
	}
	return k | case20
}

// le64 is the first 8 bytes of s, little-endian (one load).
func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// nameIndex numbers names (role or type names) for lookups on the decision
// path: an open-addressing table, at most half full, hashed from up to three
// 8-byte loads of the name. Names that would probe far (many alike where
// the hash looks) make it a Go map instead.
type nameIndex struct {
	slots []nameSlot // a power of two of them
	mask  uint32
	n     int
	m     map[string]int32 // instead of slots, when not nil
}

// nameSlot holds a name and 1 + its id; 0 is an empty slot.
type nameSlot struct {
	name string
	id   int32
}

// maxProbe is the longest probe a nameIndex accepts before it turns to a
// map.
const maxProbe = 8

// newNameIndex numbers names by their position.
func newNameIndex(names []string) *nameIndex {
	size := 4
	for size < 2*len(names) {
		size *= 2
	}
	x := &nameIndex{slots: make([]nameSlot, size), mask: uint32(size - 1), n: len(names)}
	for id, name := range names {
		i, probe := nameHash(name)&x.mask, 0
		for x.slots[i].id != 0 {
			if i, probe = (i+1)&x.mask, probe+1; probe > maxProbe {
				x.slots, x.m = nil, make(map[string]int32, len(names))
				for id, name := range names {
					x.m[name] = int32(id)
				}
				return x
			}
		}
		x.slots[i] = nameSlot{name: name, id: int32(id) + 1}
	}
	return x
}

func (x *nameIndex) len() int { return x.n }

// get returns the id of name.
func (x *nameIndex) get(name string) (int32, bool) {
	if x.m != nil {
		id, ok := x.m[name]
		return id, ok
	}
	for i := nameHash(name) & x.mask; ; i = (i + 1) & x.mask {
		s := &x.slots[i]
		if s.id == 0 {
			return 0, false
		}
		if s.name == name {
			return s.id - 1, true
		}
	}
}

// nameHash hashes name from its length and its first, middle and last 8
// bytes.
func nameHash(name string) uint32 {
	n := len(name)
	var a, b, c uint64
	switch {
	case n >= 8:
		a, b = le64(name), le64(name[n-8:])
		if n > 16 {
			c = le64(name[n/2-4:])
		}
	case n > 0:
		a = uint64(name[0]) | uint64(name[n/2])<<8 | uint64(name[n-1])<<16
	}
	h := (a ^ bits.RotateLeft64(b, 21) ^ bits.RotateLeft64(c, 42) ^ uint64(n)) * 0x9e3779b97f4a7c15
	return uint32(h >> 32)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
