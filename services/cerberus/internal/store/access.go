package store

import (
	"context"
	"fmt"
	"time"
)

// grantRows selects every grant, to users and to groups, with names: the
// base of both access lists.
const grantRows = `
    SELECT 'user' AS subject_kind, u.id AS subject_id, u.username AS subject_name,
           up.permission_id, up.effect, up.created_at
    FROM user_permission up JOIN ` + "`user`" + ` u ON u.id = up.user_id
  UNION ALL
    SELECT 'group', g.id, g.name, gp.permission_id, gp.effect, gp.created_at
    FROM group_permission gp JOIN user_group g ON g.id = gp.group_id`

// AccessTo lists every grant that reaches an element: on it, on its
// ancestors (Depth > 0) and on the component root (Depth -1).
func (s *Store) AccessTo(ctx context.Context, componentID uint64, element string) ([]GrantRow, error) {
	if _, err := s.ElementByName(ctx, componentID, element); err != nil {
		return nil, err
	}
	query := `
WITH RECURSIVE chain (id, parent_id, depth) AS (
    SELECT id, parent_id, 0 FROM element WHERE component_id = ? AND name = ?
  UNION ALL
    SELECT e.id, e.parent_id, chain.depth + 1 FROM element e JOIN chain ON e.id = chain.parent_id
    WHERE chain.depth < ` + fmt.Sprint(MaxDepth) + `
),
targets (id, depth) AS (
    SELECT id, depth FROM chain
  UNION ALL
    SELECT id, -1 FROM element WHERE component_id = ? AND name = '*' AND name <> ?
)
SELECT r.subject_kind, r.subject_id, r.subject_name, e.name AS element, o.name AS operation,
       o.ordinal, r.effect, t.depth, r.created_at
FROM targets t
JOIN element e ON e.id = t.id
JOIN permission p ON p.element_id = t.id
JOIN operation o ON o.id = p.operation_id
JOIN (` + grantRows + `) r ON r.permission_id = p.id
ORDER BY t.depth, r.subject_kind, r.subject_name, o.ordinal, r.effect`
	var rows []GrantRow
	err := s.db.WithContext(ctx).Raw(query, componentID, element, componentID, element).Scan(&rows).Error
	return rows, classify(err, "access list")
}

// GrantsOf lists what a user may do: their own grants and their groups'.
func (s *Store) GrantsOf(ctx context.Context, componentID, userID uint64) ([]GrantRow, error) {
	query := `
SELECT r.subject_kind, r.subject_id, r.subject_name, e.name AS element, o.name AS operation,
       o.ordinal, r.effect, 0 AS depth, r.created_at
FROM (` + grantRows + `) r
JOIN permission p ON p.id = r.permission_id
JOIN element e ON e.id = p.element_id
JOIN operation o ON o.id = p.operation_id
WHERE p.component_id = ? AND (
    (r.subject_kind = 'user' AND r.subject_id = ?)
 OR (r.subject_kind = 'group' AND r.subject_id IN (SELECT group_id FROM user_group_member WHERE user_id = ?)))
ORDER BY e.name, o.ordinal, r.effect, r.subject_kind, r.subject_name`
	var rows []GrantRow
	err := s.db.WithContext(ctx).Raw(query, componentID, userID, userID).Scan(&rows).Error
	return rows, classify(err, "grants")
}

// Record appends to the audit trail.
func (s *Store) Record(ctx context.Context, e *AuditEntry) error {
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	return classify(s.db.WithContext(ctx).Create(e).Error, "audit entry")
}

// AuditFilter selects audit entries; zero fields match everything.
type AuditFilter struct {
	Actor  string
	Action string
	Target string
	Result string
	Since  time.Time
	Until  time.Time
}

// Audit lists entries newest first, and the total matching.
func (s *Store) Audit(ctx context.Context, f AuditFilter, p Page) ([]AuditEntry, int64, error) {
	q := s.db.WithContext(ctx).Model(&AuditEntry{})
	if f.Actor != "" {
		q = q.Where("actor = ?", f.Actor)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.Target != "" {
		q = q.Where("target = ?", f.Target)
	}
	if f.Result != "" {
		q = q.Where("result = ?", f.Result)
	}
	if !f.Since.IsZero() {
		q = q.Where("at >= ?", f.Since)
	}
	if !f.Until.IsZero() {
		q = q.Where("at < ?", f.Until)
	}
	var (
		out   []AuditEntry
		total int64
	)
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, classify(err, "audit")
	}
	// Newest first by when it happened: denials are written in batches, so
	// their ids may come after entries that followed them.
	err := q.Order("at DESC, id DESC").Limit(p.Limit).Offset(p.Offset).Find(&out).Error
	return out, total, classify(err, "audit")
}

// RecordBatch appends entries to the audit trail in one statement.
func (s *Store) RecordBatch(ctx context.Context, entries []*AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	for _, e := range entries {
		if e.At.IsZero() {
			e.At = time.Now().UTC()
		}
	}
	return classify(s.db.WithContext(ctx).CreateInBatches(entries, 500).Error, "audit entries")
}

// PruneAudit deletes audit entries older than before, at most limit of them
// (oldest first), so one call never holds the table for long; it says how
// many went.
func (s *Store) PruneAudit(ctx context.Context, before time.Time, limit int) (int64, error) {
	old := s.db.Model(&AuditEntry{}).Select("id").Where("at < ?", before).Order("id").Limit(limit)
	if s.dialect == MySQL {
		// MySQL refuses LIMIT in an IN subquery: wrap it in a derived table.
		old = s.db.Table("(?) AS old", old).Select("id")
	}
	res := s.db.WithContext(ctx).Where("id IN (?)", old).Delete(&AuditEntry{})
	return res.RowsAffected, classify(res.Error, "audit")
}
