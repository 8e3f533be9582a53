package store

import (
	"context"
	"reflect"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/ml-studio/ml-studio/pkg/catalogue"
)

// TestUseMigration: migration 00006 adds use below read and moves the
// ordered operations up one, so the migrated operation table is exactly
// pkg/catalogue's; grants keep their rows and their meaning, and going
// back removes use with its grants and restores the old ordinals. On both
// backends.
func TestUseMigration(t *testing.T) {
	migrationAt(t, 5, func(t *testing.T, ctx context.Context, s *Store, p *goose.Provider, exec func(q string, args ...any)) {
		ops := func() map[string]int {
			t.Helper()
			cat, err := s.Catalogue(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return cat.Operations
		}
		if want := map[string]int{"read": 1, "edit": 2, "manage": 3, "create": 0}; !reflect.DeepEqual(ops(), want) {
			t.Fatalf("before 00006: %v, want %v", ops(), want)
		}
		// bob holds edit on project:default.
		exec("INSERT INTO `user` (id, username) VALUES (2, 'bob')")
		exec(`INSERT INTO permission (id, component_id, element_id, operation_id)
			SELECT 1, e.component_id, e.id, o.id FROM element e, operation o WHERE e.name = 'project:default' AND o.name = 'edit'`)
		exec("INSERT INTO user_permission (id, user_id, permission_id, effect) VALUES (7, 2, 1, 'allow')")
		held := func() []string {
			t.Helper()
			var names []string
			err := s.db.WithContext(ctx).Raw(`SELECT o.name FROM user_permission up
				JOIN permission p ON p.id = up.permission_id JOIN operation o ON o.id = p.operation_id
				WHERE up.user_id = 2 ORDER BY o.ordinal`).Scan(&names).Error
			if err != nil {
				t.Fatal(err)
			}
			return names
		}

		if _, err := p.UpTo(ctx, 6); err != nil {
			t.Fatalf("migrate to 6: %v", err)
		}
		want := map[string]int{}
		for _, o := range catalogue.Operations {
			want[o.Name] = o.Ordinal
		}
		if got := ops(); !reflect.DeepEqual(got, want) {
			t.Fatalf("after 00006 the operations are %v, want pkg/catalogue's %v", got, want)
		}
		if got := held(); !reflect.DeepEqual(got, []string{"edit"}) {
			t.Fatalf("bob's grants after 00006: %v, want [edit]", got)
		}
		// Now bob may also use the project.
		exec(`INSERT INTO permission (id, component_id, element_id, operation_id)
			SELECT 2, e.component_id, e.id, o.id FROM element e, operation o WHERE e.name = 'project:default' AND o.name = 'use'`)
		exec("INSERT INTO user_permission (id, user_id, permission_id, effect) VALUES (8, 2, 2, 'allow')")

		if _, err := p.DownTo(ctx, 5); err != nil {
			t.Fatalf("migrate down to 5: %v", err)
		}
		if want := map[string]int{"read": 1, "edit": 2, "manage": 3, "create": 0}; !reflect.DeepEqual(ops(), want) {
			t.Fatalf("back at 5: %v, want %v", ops(), want)
		}
		if got := held(); !reflect.DeepEqual(got, []string{"edit"}) {
			t.Fatalf("bob's grants back at 5: %v, want [edit] (use gone with its operation)", got)
		}
		if _, err := p.Up(ctx); err != nil {
			t.Fatalf("migrate up again: %v", err)
		}
		if got := ops(); !reflect.DeepEqual(got, want) {
			t.Fatalf("up again: %v, want %v", got, want)
		}
	})
}
