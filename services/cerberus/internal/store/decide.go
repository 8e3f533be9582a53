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
// unknown element can be told from one without grants.
func (s *Store) ChainGrants(ctx context.Context, userID, componentID uint64, elements []string) ([]ChainGrant, error) {
	if len(elements) == 0 {
		return nil, nil
	}
	placeholders := strings.TrimSuffix(strings.Repeat("?,", len(elements)), ",")
	j := inOrder(s.dialect)
	query := `
WITH RECURSIVE chain (start, id, parent_id, depth) AS (
    SELECT name, id, parent_id, 0 FROM element ` + use(s.dialect, "element by name") + ` WHERE component_id = ? AND name IN (` + placeholders + `)
  UNION ALL
    SELECT chain.start, e.id, e.parent_id, chain.depth + 1
    FROM chain ` + j + ` element e ` + use(s.dialect, "element by id") + ` ON e.id = chain.parent_id
    WHERE chain.depth < ` + fmt.Sprint(MaxDepth) + `
),
targets (start, id, depth) AS (
    SELECT start, id, depth FROM chain
  UNION ALL
    SELECT s.start, r.id, -1 FROM element r ` + use(s.dialect, "element by name") + `
    JOIN (SELECT DISTINCT start FROM chain WHERE depth = 0) s ON 1 = 1
    WHERE r.component_id = ? AND r.name = '*'
),
held (start, depth, permission_id, operation, ordinal) AS (
    SELECT t.start, t.depth, p.id, o.name, o.ordinal
    FROM targets t
    ` + j + ` permission p ` + use(s.dialect, "permission by element") + ` ON p.element_id = t.id
    ` + j + ` operation o ON o.id = p.operation_id
)
SELECT t.start AS start, t.depth AS depth, '' AS operation, 0 AS ordinal, '' AS effect FROM targets t WHERE t.depth = 0
UNION ALL
SELECT h.start, h.depth, h.operation, h.ordinal, up.effect
FROM held h ` + j + ` user_permission up ` + use(s.dialect, "user grants by user") + ` ON up.permission_id = h.permission_id AND up.user_id = ?
UNION ALL
SELECT h.start, h.depth, h.operation, h.ordinal, gp.effect
FROM held h
` + j + ` group_permission gp ` + use(s.dialect, "group grants by permission") + ` ON gp.permission_id = h.permission_id
` + j + ` user_group_member m ` + use(s.dialect, "memberships by group and user") + ` ON m.group_id = gp.group_id AND m.user_id = ?`
	// The query starts from the chain's few elements and their permissions,
	// then looks up the user's grants on just those, in that order (see
	// inOrder): its cost grows with the elements asked about and the grants
	// on them, not with how many grants the user, their groups or the
	// table hold.
	args := make([]any, 0, len(elements)+4)
	args = append(args, componentID)
	for _, e := range elements {
		args = append(args, e)
	}
	args = append(args, componentID, userID, userID)
	var rows []ChainGrant
	err := s.db.WithContext(ctx).Raw(query, args...).Scan(&rows).Error
	return rows, classify(err, "decision")
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
