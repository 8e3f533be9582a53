package store

import (
	"context"
	"sync"
	"time"

	"gorm.io/gorm"
)

// Scopes of an access change: what a decision cache must forget.
const (
	ScopeUser    = "user"    // a user's flags, credentials, memberships or own grants
	ScopeGroup   = "group"   // a group's grants
	ScopeElement = "element" // an element registered, renamed or deleted
)

// Change is one row of the access change log. Every write that can alter a
// decision records one in its own transaction: a decision cache in this
// process hears of it at once (OnChange), one in another replica when it
// next reads the log (ChangesAfter).
type Change struct {
	ID    uint64 `gorm:"primaryKey"`
	At    time.Time
	Scope string
	RefID uint64
}

// TableName is the change log table.
func (Change) TableName() string { return "access_change" }

// listeners are told of the changes each committed write made.
type listeners struct {
	mu  sync.RWMutex
	fns []func([]Change)
}

// OnChange registers fn to hear, after each commit, the changes it made.
// fn runs on the writer's goroutine before the write returns, so whoever
// made a change sees its effect on their very next call.
func (s *Store) OnChange(fn func([]Change)) {
	s.listeners.mu.Lock()
	defer s.listeners.mu.Unlock()
	s.listeners.fns = append(s.listeners.fns, fn)
}

func (s *Store) notify(changes []Change) {
	if len(changes) == 0 {
		return
	}
	s.listeners.mu.RLock()
	defer s.listeners.mu.RUnlock()
	for _, fn := range s.listeners.fns {
		fn(changes)
	}
}

// changeSet collects the changes of one transaction.
type changeSet []Change

func (c *changeSet) add(scope string, id uint64) {
	*c = append(*c, Change{Scope: scope, RefID: id})
}

// write runs fn in a transaction and records the changes it collected as
// the transaction's last statement: another replica's reader skips an id
// left uncommitted for long (see ChangesAfter), so the gap between taking
// an id and committing stays as short as possible.
func (s *Store) write(ctx context.Context, fn func(tx *gorm.DB, changes *changeSet) error) error {
	var changes changeSet
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		changes = changes[:0]
		if err := fn(tx, &changes); err != nil {
			return err
		}
		if len(changes) == 0 {
			return nil
		}
		// One row per statement, so each gets its exact id (a multi-row
		// insert's ids are only inferred): the cache skips the ids it has
		// applied already when it reads the log.
		now := time.Now().UTC()
		for i := range changes {
			changes[i].At = now
			if err := tx.Create(&changes[i]).Error; err != nil {
				return classify(err, "access change")
			}
		}
		return nil
	})
	if err == nil {
		s.notify(changes)
	}
	return err
}

// ChangesAfter lists up to limit changes with an id above after, in id order.
func (s *Store) ChangesAfter(ctx context.Context, after uint64, limit int) ([]Change, error) {
	var out []Change
	err := s.db.WithContext(ctx).Where("id > ?", after).Order("id").Limit(limit).Find(&out).Error
	return out, classify(err, "access changes")
}

// LastChange is the id of the newest change, 0 when there is none.
func (s *Store) LastChange(ctx context.Context) (uint64, error) {
	var id *uint64
	err := s.db.WithContext(ctx).Model(&Change{}).Select("MAX(id)").Scan(&id).Error
	if err != nil || id == nil {
		return 0, classify(err, "access changes")
	}
	return *id, nil
}

// PruneChanges deletes changes older than before.
func (s *Store) PruneChanges(ctx context.Context, before time.Time) error {
	return classify(s.db.WithContext(ctx).Where("at < ?", before).Delete(&Change{}).Error, "access changes")
}
