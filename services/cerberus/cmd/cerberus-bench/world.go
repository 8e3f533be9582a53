package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
)

// The operations the benchmark grants, in the catalogue's order (its own
// numbering: cerberus is asked by name).
const (
	opRead   int8 = 1
	opEdit   int8 = 2
	opManage int8 = 3
)

var opNames = [...]string{opRead: "read", opEdit: "edit", opManage: "manage"}

// subject is a user (index ≥ 0) or a group (-(index+1)).
type subject int32

func userSubject(u int) subject  { return subject(u) }
func groupSubject(g int) subject { return subject(-(g + 1)) }
func (s subject) isGroup() bool  { return s < 0 }
func (s subject) group() int     { return int(-s) - 1 }

// How a grant reaches the database.
type grantPath int8

const (
	viaRegister grantPath = iota // store.RegisterElement: the creator's manage on a project
	viaStore                     // store.Grant, one transaction each
	viaBulk                      // CreateInBatches on the store's models
)

// grant is one row of user_permission or group_permission.
type grant struct {
	subj subject
	elem int32 // element index
	ord  int8  // operation ordinal; a deny is stored on read
	deny bool
	via  grantPath
}

// refKey indexes the reference model: a subject's grants on one element.
type refKey struct {
	subj subject
	elem int32
}

type refGrant struct {
	ord  int8
	deny bool
}

// world is the data set, generated once and seeded into each backend, and
// the reference the benchmark checks cerberus's answers against.
//
// Element indices: 0..projects-1 are projects, then each project's children
// (experiments first, then registered models), and last the component root.
type world struct {
	sizes
	perProject  int
	experiments int // per project; the rest of perProject are models
	root        int32

	names  []string
	parent []int32 // -1 for projects and the root

	userGroups   [][]int32
	projectOwner []int32 // user index
	childCreator []int32 // user index, per child (index - projects)

	grants []grant
	ref    map[refKey][]refGrant

	// What each user plausibly asks about: the projects reached through
	// their groups or ownership, and the children granted to them directly.
	reachProjects  [][]int32
	directChildren [][]int32
}

// sizes are the data set's dimensions.
type sizes struct {
	users, groups, projects, elements, grants int
}

func (w *world) isProject(e int32) bool  { return e < int32(w.projects) }
func (w *world) child(p, slot int) int32 { return int32(w.projects + p*w.perProject + slot) }
func (w *world) totalElements() int      { return len(w.names) - 1 } // without the root

// newWorld builds the data set. The structure is fixed (memberships,
// ownership, project grants); the bulk of the grants is drawn from rng.
func newWorld(sz sizes, rng *rand.Rand) (*world, error) {
	switch {
	case sz.users < 1 || sz.groups < 2 || sz.projects < 1:
		return nil, fmt.Errorf("need at least 1 user, 2 groups and 1 project")
	case sz.users < sz.groups:
		return nil, fmt.Errorf("-users (%d) must be at least -groups (%d): every group has members", sz.users, sz.groups)
	case sz.elements < sz.projects || sz.elements%sz.projects != 0:
		return nil, fmt.Errorf("-elements (%d) must be a multiple of -projects (%d): each project holds the same number", sz.elements, sz.projects)
	}
	w := &world{sizes: sz, perProject: sz.elements / sz.projects, ref: map[refKey][]refGrant{}}
	w.experiments = max(1, w.perProject*6/10)
	n := sz.projects + sz.elements
	w.root = int32(n)
	w.names = make([]string, n+1)
	w.parent = make([]int32, n+1)
	for p := range sz.projects {
		w.names[p] = fmt.Sprintf("project:p%04d", p)
		w.parent[p] = -1
		for slot := range w.perProject {
			c := w.child(p, slot)
			w.parent[c] = int32(p)
			if slot < w.experiments {
				// MLflow experiment ids are numbers; 0 is MLflow's default experiment.
				w.names[c] = "experiment:" + strconv.Itoa(1+p*w.perProject+slot)
			} else {
				w.names[c] = fmt.Sprintf("registered_model:p%04d-model-%03d", p, slot-w.experiments)
			}
		}
	}
	w.names[w.root], w.parent[w.root] = "*", -1

	// Memberships: user u is in group u % G (so ~users/groups per group),
	// and every fifth user in a second group too.
	G, U, P := sz.groups, sz.users, sz.projects
	perGroup := U / G
	w.userGroups = make([][]int32, U)
	for u := range U {
		g := u % G
		w.userGroups[u] = []int32{int32(g)}
		if u%5 == 0 {
			w.userGroups[u] = append(w.userGroups[u], int32((g+1+(u/G)%(G-1))%G))
		}
	}
	member := func(g, k int) int32 { return int32(g + G*(k%perGroup)) }

	taken := map[refKey]map[int8]bool{} // (subject, element) → permission ordinals held
	add := func(g grant) bool {
		k := refKey{g.subj, g.elem}
		perm := g.ord
		if g.deny {
			perm = opRead
		}
		if taken[k][perm] {
			return false
		}
		if taken[k] == nil {
			taken[k] = map[int8]bool{}
		}
		taken[k][perm] = true
		w.grants = append(w.grants, g)
		w.ref[k] = append(w.ref[k], refGrant{ord: g.ord, deny: g.deny})
		return true
	}

	// Projects: an owner from the project's team, who gets manage through
	// RegisterElement; the team edits, a second group reads.
	groupProjects := make([][]int32, G)
	w.projectOwner = make([]int32, P)
	for p := range P {
		team := p % G
		w.projectOwner[p] = member(team, p/G)
		add(grant{subj: userSubject(int(w.projectOwner[p])), elem: int32(p), ord: opManage, via: viaRegister})
		add(grant{subj: groupSubject(team), elem: int32(p), ord: opEdit, via: viaStore})
		readers := (p*3 + 1) % G
		if readers == team {
			readers = (team + 1) % G
		}
		add(grant{subj: groupSubject(readers), elem: int32(p), ord: opRead, via: viaStore})
		groupProjects[team] = append(groupProjects[team], int32(p))
		groupProjects[readers] = append(groupProjects[readers], int32(p))
		if p%50 == 25 { // now and then a team is shut out of a project
			add(grant{subj: groupSubject((team + 2) % G), elem: int32(p), deny: true, ord: opRead, via: viaStore})
		}
	}
	// One group reads everything (a platform team): a grant on the root.
	add(grant{subj: groupSubject(0), elem: w.root, ord: opRead, via: viaStore})

	// Children: created by a member of the project's team, who gets manage.
	w.childCreator = make([]int32, sz.elements)
	for p := range P {
		for slot := range w.perProject {
			c := w.child(p, slot)
			creator := member(p%G, rng.IntN(perGroup))
			w.childCreator[int(c)-P] = creator
			add(grant{subj: userSubject(int(creator)), elem: c, ord: opManage, via: viaBulk})
		}
	}

	// The rest: grants on single experiments and models, to users (80%)
	// and groups (20%), mostly within projects the subject works on.
	rest := sz.grants - len(w.grants)
	if rest < 0 {
		return nil, fmt.Errorf("-grants (%d) is below the %d grants the structure needs (owners, teams, creators)", sz.grants, len(w.grants))
	}
	randomChild := func(projects []int32) int32 {
		if len(projects) > 0 && rng.Float64() < 0.7 {
			return w.child(int(projects[rng.IntN(len(projects))]), rng.IntN(w.perProject))
		}
		return w.child(rng.IntN(P), rng.IntN(w.perProject))
	}
	for added, tries := 0, 0; added < rest; tries++ {
		if tries > 20*rest+1000 {
			return nil, fmt.Errorf("cannot place %d distinct grants on %d elements: raise -elements or lower -grants", sz.grants, sz.elements)
		}
		g := grant{ord: randomOp(rng), via: viaBulk}
		denyRate := 0.03
		if rng.Float64() < 0.2 {
			grp := rng.IntN(G)
			g.subj, g.elem = groupSubject(grp), randomChild(groupProjects[grp])
			denyRate = 0.02
		} else {
			u := rng.IntN(U)
			g.subj, g.elem = userSubject(u), randomChild(groupProjects[w.userGroups[u][0]])
		}
		if rng.Float64() < denyRate {
			g.deny, g.ord = true, opRead
		}
		if add(g) {
			added++
		}
	}

	// What each user works on, for drawing realistic questions.
	w.reachProjects = make([][]int32, U)
	w.directChildren = make([][]int32, U)
	owned := make([][]int32, U)
	for p, owner := range w.projectOwner {
		owned[owner] = append(owned[owner], int32(p))
	}
	for u := range U {
		seen := map[int32]bool{}
		reach := func(ps []int32) {
			for _, p := range ps {
				if !seen[p] {
					seen[p] = true
					w.reachProjects[u] = append(w.reachProjects[u], p)
				}
			}
		}
		for _, g := range w.userGroups[u] {
			reach(groupProjects[g])
		}
		reach(owned[u])
	}
	for _, g := range w.grants {
		if !g.subj.isGroup() && !w.isProject(g.elem) && g.elem != w.root {
			w.directChildren[g.subj] = append(w.directChildren[g.subj], g.elem)
		}
	}
	return w, nil
}

// randomOp draws read 60%, edit 30%, manage 10%.
func randomOp(rng *rand.Rand) int8 {
	switch x := rng.IntN(10); {
	case x < 6:
		return opRead
	case x < 9:
		return opEdit
	default:
		return opManage
	}
}

// subjects is the user and their groups.
func (w *world) subjects(u int) []subject {
	out := []subject{userSubject(u)}
	for _, g := range w.userGroups[u] {
		out = append(out, groupSubject(int(g)))
	}
	return out
}

// chain is an element, its project and the component root.
func (w *world) chain(e int32) []int32 {
	if e == w.root {
		return []int32{e}
	}
	if p := w.parent[e]; p >= 0 {
		return []int32{e, p, w.root}
	}
	return []int32{e, w.root}
}

// decide is the access model's rule, computed from the generated grants:
// a deny anywhere on the chain wins; otherwise an allow of at least the
// asked operation anywhere on the chain allows.
func (w *world) decide(u int, e int32, ord int8) bool {
	allowed := false
	for _, s := range w.subjects(u) {
		for _, c := range w.chain(e) {
			for _, g := range w.ref[refKey{s, c}] {
				if g.deny {
					return false
				}
				if g.ord >= ord {
					allowed = true
				}
			}
		}
	}
	return allowed
}

// readable is the reference answer of /api/authorize/readable for
// experiments: everything but except, or exactly names.
func (w *world) readable(u int, ord int8) (all bool, names, except map[string]bool) {
	names, except = map[string]bool{}, map[string]bool{}
	subs := w.subjects(u)
	held := func(e int32) (allow, deny bool) {
		for _, s := range subs {
			for _, g := range w.ref[refKey{s, e}] {
				deny = deny || g.deny
				allow = allow || (!g.deny && g.ord >= ord)
			}
		}
		return allow, deny
	}
	rootAllow, rootDeny := held(w.root)
	if rootDeny {
		return false, names, except
	}
	for p := range w.projects {
		pAllow, pDeny := held(int32(p))
		for slot := range w.experiments {
			c := w.child(p, slot)
			cAllow, cDeny := held(c)
			switch {
			case pDeny || cDeny:
				if rootAllow {
					except[w.names[c]] = true
				}
			case rootAllow:
			case pAllow || cAllow:
				names[w.names[c]] = true
			}
		}
	}
	return rootAllow, names, except
}

// counts summarises the grants for the report.
func (w *world) counts() (users, groups, denies int) {
	for _, g := range w.grants {
		if g.subj.isGroup() {
			groups++
		} else {
			users++
		}
		if g.deny {
			denies++
		}
	}
	return users, groups, denies
}
