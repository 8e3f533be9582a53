package store

import (
	"context"
	"reflect"
	"testing"

	"github.com/pressly/goose/v3"
)

// TestDenyRowsMigration: migration 00005 keeps every grant row as it was
// (ids, effects, placers) and lets a deny stand beside an allow; going
// back keeps the deny where both shared a permission. On both backends.
func TestDenyRowsMigration(t *testing.T) {
	migrationAt(t, 4, func(t *testing.T, ctx context.Context, s *Store, p *goose.Provider, exec func(q string, args ...any)) {

		// Before: bob reads project:default, alice placed a deny on
		// the same permission for team, and bob denies the root.
		exec("INSERT INTO `user` (id, username, is_admin) VALUES (1, 'alice', TRUE), (2, 'bob', FALSE)")
		exec("INSERT INTO user_group (id, name) VALUES (1, 'team')")
		exec(`INSERT INTO permission (id, component_id, element_id, operation_id)
			SELECT 1, e.component_id, e.id, o.id FROM element e, operation o WHERE e.name = 'project:default' AND o.name = 'read'`)
		exec(`INSERT INTO permission (id, component_id, element_id, operation_id)
			SELECT 2, e.component_id, e.id, o.id FROM element e, operation o WHERE e.name = '*' AND o.name = 'read'`)
		exec("INSERT INTO user_permission (id, user_id, permission_id, effect, granted_by) VALUES (7, 2, 1, 'allow', 1), (8, 2, 2, 'deny', NULL)")
		exec("INSERT INTO group_permission (id, group_id, permission_id, effect, granted_by) VALUES (9, 1, 1, 'deny', 1)")
		type row struct {
			ID, SubjectID, PermissionID uint64
			Effect                      string
			GrantedBy                   *uint64
		}
		rows := func() []row {
			t.Helper()
			var out []row
			err := s.db.WithContext(ctx).Raw(`
SELECT id, user_id AS subject_id, permission_id, effect, granted_by FROM user_permission
UNION ALL
SELECT id, group_id, permission_id, effect, granted_by FROM group_permission
ORDER BY id`).Scan(&out).Error
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		before := rows()

		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("migrate up: %v", err)
		}
		if got := rows(); !reflect.DeepEqual(got, before) {
			t.Fatalf("after 00005 the grants are\n%+v\nwant them as they were\n%+v", got, before)
		}
		// Now a deny stands beside bob's read, and an allow beside team's deny.
		exec("INSERT INTO user_permission (id, user_id, permission_id, effect, granted_by) VALUES (10, 2, 1, 'deny', 1)")
		exec("INSERT INTO group_permission (id, group_id, permission_id, effect, granted_by) VALUES (11, 1, 1, 'allow', 1)")
		if err := s.db.WithContext(ctx).Exec("INSERT INTO user_permission (user_id, permission_id, effect) VALUES (2, 1, 'deny')").Error; err == nil {
			t.Fatal("the same deny twice was stored")
		}

		// Back: where an allow and a deny share a permission, the deny stays.
		if _, err := p.DownTo(ctx, 4); err != nil {
			t.Fatalf("migrate down to 4: %v", err)
		}
		var kept []uint64
		for _, r := range rows() {
			kept = append(kept, r.ID)
		}
		if want := []uint64{8, 9, 10}; !reflect.DeepEqual(kept, want) {
			t.Fatalf("after going back the grants are %v, want %v (every deny, no allow beside one)", kept, want)
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("migrate up again: %v", err)
		}
		if len(rows()) != 3 {
			t.Fatal("grants lost going up again")
		}
	})
}
