package store

import (
	"context"
	"fmt"
	"strings"
)

// inOrder is the join that keeps the table on its left the outer loop:
// STRAIGHT_JOIN on MySQL, CROSS JOIN on SQLite (which never reorders
// across one). The decision queries name the few rows they start from
// (an element's chain, a user's grants) and join outwards by index; left
// free, both planners were seen to start from the other end when their
// statistics misjudge a table — SQLite from every permission of the
// component, its sampled statistics counting 1,001 rows for one
// component_id of 600,000 — so a query's cost followed the table's size.
func inOrder(d Dialect) string {
	if d == MySQL {
		return "STRAIGHT_JOIN"
	}
	return "CROSS JOIN"
}

// The index each lookup of the decision queries must use: with the join
// order fixed (inOrder), the planner still picks an index per table from
// its statistics, and statistics taken when a table held two rows
// (cerberus refreshes them at start, then hourly) make every index look
// useless: SQLite was seen to scan all 50,000 elements at each step of a
// walk down the tree (minutes for one readable set). Each lookup names its
// index: INDEXED BY on SQLite (NOT INDEXED where the rowid is the key),
// FORCE INDEX on MySQL. SQLite names a UNIQUE constraint's index after
// its table: sqlite_autoindex_<table>_1 (migrations 00001, 00002, 00005).
var lookups = map[string][2]string{ // sqlite, mysql
	"element by id":                 {"NOT INDEXED", "FORCE INDEX (PRIMARY)"},
	"element by name":               {"INDEXED BY sqlite_autoindex_element_1", "FORCE INDEX (uq_element_component_name)"},
	"element by parent":             {"INDEXED BY ix_element_parent", "FORCE INDEX (ix_element_parent)"},
	"permission by id":              {"NOT INDEXED", "FORCE INDEX (PRIMARY)"},
	"permission by element":         {"INDEXED BY ix_permission_element", "FORCE INDEX (ix_permission_element)"},
	"user grants by user":           {"INDEXED BY sqlite_autoindex_user_permission_1", "FORCE INDEX (uq_user_permission)"},
	"group grants by group":         {"INDEXED BY sqlite_autoindex_group_permission_1", "FORCE INDEX (uq_group_permission)"},
	"group grants by permission":    {"INDEXED BY ix_group_permission_permission", "FORCE INDEX (ix_group_permission_permission)"},
	"memberships by group and user": {"INDEXED BY sqlite_autoindex_user_group_member_1", "FORCE INDEX (PRIMARY)"},
	"memberships by user":           {"INDEXED BY ix_user_group_member_user", "FORCE INDEX (ix_user_group_member_user)"},
}

// use is the hint of a lookup (see lookups).
func use(d Dialect, lookup string) string {
	h, ok := lookups[lookup]
	if !ok {
		panic("store: no index for " + lookup)
	}
	if d == MySQL {
		return h[1]
	}
	return h[0]
}

// ChainGrant is one grant found on an element's chain of ancestors.
type ChainGrant struct {
	Start     string // the element asked about
	Depth     int    // 0 the element, 1 its parent, …; -1 the component root
	Operation string // empty on the row that only proves the element exists
	Ordinal   int
	Effect    string
}

// ChainGrants returns, in one query, every grant of the user (directly or
// through a group) on each named element, its ancestors and the component
// root — plus one row per existing element with an empty Operation, so an
// unknown element can be told from one without grants. Rows come element
// by element in the order asked: the existence row, then the grants at
// depth 0, 1, … and the root's at -1.
func (s *Store) ChainGrants(ctx context.Context, userID, componentID uint64, elements []string) ([]ChainGrant, error) {
	if len(elements) == 0 {
		return nil, nil
	}
	placeholders := strings.TrimSuffix(strings.Repeat("?,", len(elements)), ",")
	j := inOrder(s.dialect)
	// The database returns the chains and the grants apart, each element
	// once: the named elements, their ancestors once however many of the
	// named share them (UNION drops the repeats, so the walk up goes on
	// from each ancestor once), the root; then the grants on each of those
	// elements, looked up for the user and each of their groups (one
	// branch: the holders are the user, group 0, and their groups, each
	// probing its own index by permission). Joining every named element
	// with the grants of its shared project and of the root, as rows per
	// element, is left to ChainGrants: in SQL it read the project's and
	// the root's grants once per element asked about, and on MariaDB the
	// chain was materialized again for each branch of a UNION.
	query := `
WITH RECURSIVE chain (start, id, parent_id, depth) AS (
    SELECT name, id, parent_id, 0 FROM element ` + use(s.dialect, "element by name") + ` WHERE component_id = ? AND name IN (` + placeholders + `)
  UNION
    SELECT '', r.id, NULL, -1 FROM element r ` + use(s.dialect, "element by name") + ` WHERE r.component_id = ? AND r.name = '*'
  UNION
    SELECT '', e.id, e.parent_id, chain.depth + 1
    FROM chain ` + j + ` element e ` + use(s.dialect, "element by id") + ` ON e.id = chain.parent_id
    WHERE chain.depth BETWEEN 0 AND ` + fmt.Sprint(MaxDepth-1) + `
),
holders (group_id) AS (
    SELECT 0
  UNION ALL
    SELECT m.group_id FROM user_group_member m ` + use(s.dialect, "memberships by user") + ` WHERE m.user_id = ?
)
SELECT ch.start AS start, ch.id AS id, ch.parent_id AS parent_id, ch.depth AS depth, '' AS operation, 0 AS ordinal, '' AS effect FROM chain ch
UNION ALL
SELECT '', p.element_id, NULL, 0, o.name, o.ordinal, COALESCE(up.effect, gp.effect)
FROM (SELECT DISTINCT id FROM chain) t
` + j + ` permission p ` + use(s.dialect, "permission by element") + ` ON p.element_id = t.id
` + j + ` operation o ON o.id = p.operation_id
` + j + ` holders h
LEFT JOIN user_permission up ` + use(s.dialect, "user grants by user") + ` ON h.group_id = 0 AND up.user_id = ? AND up.permission_id = p.id
LEFT JOIN group_permission gp ` + use(s.dialect, "group grants by group") + ` ON gp.group_id = h.group_id AND gp.permission_id = p.id
WHERE up.effect IS NOT NULL OR gp.effect IS NOT NULL`
	args := make([]any, 0, len(elements)+4)
	args = append(args, componentID)
	for _, e := range elements {
		args = append(args, e)
	}
	args = append(args, componentID, userID, userID)
	var rows []struct {
		Start     string
		ID        uint64
		ParentID  *uint64
		Depth     int
		Operation string
		Ordinal   int
		Effect    string
	}
	if err := s.db.WithContext(ctx).Raw(query, args...).Scan(&rows).Error; err != nil {
		return nil, classify(err, "decision")
	}
	named := make(map[string]uint64, len(elements))
	parent := map[uint64]uint64{}
	grants := map[uint64][]ChainGrant{}
	var root uint64
	for _, r := range rows {
		switch {
		case r.Operation != "":
			grants[r.ID] = append(grants[r.ID], ChainGrant{Operation: r.Operation, Ordinal: r.Ordinal, Effect: r.Effect})
		case r.Depth < 0:
			root = r.ID
		default:
			if r.Depth == 0 && r.Start != "" {
				named[r.Start] = r.ID
			}
			if r.ParentID != nil {
				parent[r.ID] = *r.ParentID
			}
		}
	}
	var out []ChainGrant
	emit := func(start string, depth int, id uint64) {
		for _, g := range grants[id] {
			g.Start, g.Depth = start, depth
			out = append(out, g)
		}
	}
	for _, e := range elements {
		id, ok := named[e]
		if !ok {
			continue
		}
		delete(named, e) // asked twice, answered once
		out = append(out, ChainGrant{Start: e})
		for depth := 0; depth <= MaxDepth; depth++ {
			emit(e, depth, id)
			if id, ok = parent[id]; !ok {
				break
			}
		}
		if root != 0 {
			emit(e, -1, root)
		}
	}
	return out, nil
}

// HeldOn returns, in one query, the grants of the user and of their groups
// on these elements, by element id. It is what a decision needs once the
// elements' chains are known (the decision cache holds them): the chain
// query's walk up the tree, by name and then by parent, is left out.
func (s *Store) HeldOn(ctx context.Context, userID uint64, elementIDs []uint64) ([]Held, error) {
	if len(elementIDs) == 0 {
		return nil, nil
	}
	j := inOrder(s.dialect)
	// From the elements' permissions outwards, as the chain query's second
	// part: each permission probed for the user (group 0) and each of
	// their groups by (holder, permission).
	query := `
WITH holders (group_id) AS (
    SELECT 0
  UNION ALL
    SELECT m.group_id FROM user_group_member m ` + use(s.dialect, "memberships by user") + ` WHERE m.user_id = ?
)
SELECT p.element_id AS element_id, o.name AS operation, o.ordinal AS ordinal, COALESCE(up.effect, gp.effect) AS effect
FROM permission p ` + use(s.dialect, "permission by element") + `
` + j + ` operation o ON o.id = p.operation_id
` + j + ` holders h
LEFT JOIN user_permission up ` + use(s.dialect, "user grants by user") + ` ON h.group_id = 0 AND up.user_id = ? AND up.permission_id = p.id
LEFT JOIN group_permission gp ` + use(s.dialect, "group grants by group") + ` ON gp.group_id = h.group_id AND gp.permission_id = p.id
WHERE p.element_id IN ? AND (up.effect IS NOT NULL OR gp.effect IS NOT NULL)`
	var out []Held
	err := s.db.WithContext(ctx).Raw(query, userID, userID, elementIDs).Scan(&out).Error
	return out, classify(err, "decision")
}

// ReachRow is an element of the asked kind reached by one of the user's grants.
type ReachRow struct {
	Name   string
	Effect string
	Root   bool // the grant is on the component root: it reaches everything
}

// Reach returns, in one query, the elements whose name starts with kind+":"
// reached by the user's grants (direct or through a group) that are at least
// minOrdinal or are denies, walking down from each granted element. A grant
// on the component root comes back as one row with Root set.
func (s *Store) Reach(ctx context.Context, userID, componentID uint64, kind string, minOrdinal int) ([]ReachRow, error) {
	// From the user's own grants and their groups' (in that order: see
	// inOrder) down through the elements below them: its cost is the
	// caller's grants and the answer, whatever the table holds.
	j := inOrder(s.dialect)
	query := `
WITH RECURSIVE granted (element_id, effect) AS (
    SELECT p.element_id, up.effect
    FROM user_permission up ` + use(s.dialect, "user grants by user") + `
    ` + j + ` permission p ` + use(s.dialect, "permission by id") + ` ON p.id = up.permission_id
    ` + j + ` operation o ON o.id = p.operation_id
    WHERE up.user_id = ? AND p.component_id = ? AND (up.effect = 'deny' OR o.ordinal >= ?)
  UNION ALL
    SELECT p.element_id, gp.effect
    FROM user_group_member m ` + use(s.dialect, "memberships by user") + `
    ` + j + ` group_permission gp ` + use(s.dialect, "group grants by group") + ` ON gp.group_id = m.group_id
    ` + j + ` permission p ` + use(s.dialect, "permission by id") + ` ON p.id = gp.permission_id
    ` + j + ` operation o ON o.id = p.operation_id
    WHERE m.user_id = ? AND p.component_id = ? AND (gp.effect = 'deny' OR o.ordinal >= ?)
),
down (id, name, effect, depth) AS (
    SELECT e.id, e.name, granted.effect, 0 FROM granted ` + j + ` element e ` + use(s.dialect, "element by id") + ` ON e.id = granted.element_id
  UNION ALL
    SELECT c.id, c.name, down.effect, down.depth + 1
    FROM down ` + j + ` element c ` + use(s.dialect, "element by parent") + ` ON c.parent_id = down.id
    WHERE down.depth < ` + fmt.Sprint(MaxDepth) + `
)
SELECT DISTINCT name, effect, CASE WHEN name = '*' THEN 1 ELSE 0 END AS root FROM down
WHERE name = '*' OR name LIKE ? ESCAPE '!'`
	var rows []ReachRow
	err := s.db.WithContext(ctx).Raw(query, userID, componentID, minOrdinal, userID, componentID, minOrdinal, likePrefix(kind+":")).Scan(&rows).Error
	return rows, classify(err, "readable elements")
}

// Held is one grant as the decision cache keeps it: on which element, of
// which operation, allow or deny.
type Held struct {
	ElementID uint64
	Operation string
	Ordinal   int
	Effect    string
}

// UserGrants returns, in one query, a user's own grants and the groups they
// belong to: what the decision cache keeps of a user.
func (s *Store) UserGrants(ctx context.Context, userID uint64) (grants []Held, groups []uint64, err error) {
	var rows []struct {
		Held
		GroupID uint64
	}
	err = s.db.WithContext(ctx).Raw(`
SELECT p.element_id, o.name AS operation, o.ordinal, up.effect, 0 AS group_id
FROM user_permission up
JOIN permission p ON p.id = up.permission_id
JOIN operation o ON o.id = p.operation_id
WHERE up.user_id = ?
UNION ALL
SELECT 0, '', 0, '', group_id FROM user_group_member WHERE user_id = ?`, userID, userID).Scan(&rows).Error
	for _, r := range rows {
		if r.GroupID != 0 {
			groups = append(groups, r.GroupID)
		} else {
			grants = append(grants, r.Held)
		}
	}
	return grants, groups, classify(err, "user grants")
}

// GroupGrants returns, in one query, the grants of each of these groups.
func (s *Store) GroupGrants(ctx context.Context, groupIDs []uint64) (map[uint64][]Held, error) {
	out := make(map[uint64][]Held, len(groupIDs))
	if len(groupIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		Held
		GroupID uint64
	}
	err := s.db.WithContext(ctx).Raw(`
SELECT gp.group_id, p.element_id, o.name AS operation, o.ordinal, gp.effect
FROM group_permission gp
JOIN permission p ON p.id = gp.permission_id
JOIN operation o ON o.id = p.operation_id
WHERE gp.group_id IN ?`, groupIDs).Scan(&rows).Error
	for _, r := range rows {
		out[r.GroupID] = append(out[r.GroupID], r.Held)
	}
	return out, classify(err, "group grants")
}

// ElementsNamed returns the named elements of a component, in one indexed
// lookup per name; names that do not exist are missing from the answer.
// The decision cache reads an element's ancestors with ElementsByID, and
// only those it does not hold already: an element's project is shared by
// all its siblings.
func (s *Store) ElementsNamed(ctx context.Context, componentID uint64, names []string) ([]Element, error) {
	if len(names) == 0 {
		return nil, nil
	}
	var rows []Element
	err := s.db.WithContext(ctx).Raw(`SELECT id, component_id, name, parent_id FROM element `+use(s.dialect, "element by name")+` WHERE component_id = ? AND name IN ?`,
		componentID, names).Scan(&rows).Error
	return rows, classify(err, "elements")
}

// ElementsByID returns the elements with these ids; ids that do not exist
// are missing from the answer.
func (s *Store) ElementsByID(ctx context.Context, ids []uint64) ([]Element, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []Element
	query := `SELECT id, component_id, name, parent_id FROM element FORCE INDEX (PRIMARY) WHERE id IN ?`
	args := []any{ids}
	if s.dialect != MySQL {
		// SQLite plans "id IN (…)" as a scan when its statistics say the
		// table is small (1.25M rows read per call at 5M grants); a join
		// from the list keeps the rowid lookup.
		query = `WITH ids (id) AS (VALUES ` + strings.TrimSuffix(strings.Repeat("(?),", len(ids)), ",") + `)
SELECT e.id, e.component_id, e.name, e.parent_id FROM ids CROSS JOIN element e NOT INDEXED ON e.id = ids.id`
		args = make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
	}
	err := s.db.WithContext(ctx).Raw(query, args...).Scan(&rows).Error
	return rows, classify(err, "elements")
}

// ElementsAfter returns up to limit elements whose id is above after, by
// id: the table page by page, for the decision cache to load at start.
func (s *Store) ElementsAfter(ctx context.Context, after uint64, limit int) ([]Element, error) {
	var rows []Element
	err := s.db.WithContext(ctx).Raw(`SELECT id, component_id, name, parent_id FROM element `+use(s.dialect, "element by id")+` WHERE id > ? ORDER BY id LIMIT ?`,
		after, limit).Scan(&rows).Error
	return rows, classify(err, "elements")
}
