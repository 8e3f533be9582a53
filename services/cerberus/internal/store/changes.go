package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/ml-studio/ml-studio/pkg/apierror"
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
// next reads the log (ChangesThrough).
type Change struct {
	ID    uint64 `gorm:"primaryKey"`
	At    time.Time
	Scope string
	RefID uint64
	// Rev is the access revision of the transaction that made the change
	// (every change of one transaction has the same).
	Rev uint64
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

// write runs fn in a transaction and, when it changed who may do what,
// bumps the access revision and records the changes, stamped with it, as
// the transaction's last statements. The revision's row lock is held from
// the bump to the commit, so transactions take revisions in commit order
// and none is skipped (a rolled-back one gives its revision back): a
// reader that sees revision N committed has every revision below it too.
// Keeping the bump last keeps that lock short.
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
		bump := tx.Exec("UPDATE access_revision SET rev = rev + 1 WHERE id = 1")
		if bump.Error != nil {
			return classify(bump.Error, "access revision")
		}
		if bump.RowsAffected != 1 {
			return classify(errors.New("its row is missing"), "access revision")
		}
		var rev uint64
		if err := tx.Raw("SELECT rev FROM access_revision WHERE id = 1").Scan(&rev).Error; err != nil {
			return classify(err, "access revision")
		}
		// One row per statement, so each gets its exact id.
		now := time.Now().UTC()
		for i := range changes {
			changes[i].At, changes[i].Rev = now, rev
			if err := tx.Create(&changes[i]).Error; err != nil {
				return classify(err, "access change")
			}
		}
		return nil
	})
	if err == nil {
		s.notify(changes)
	}
	return transactionError(err)
}

// transactionError classifies what the transaction itself returned when
// fn did not: BEGIN or COMMIT failing (the connection died, the server
// went away) is the database being unavailable, a 503, not a 500.
func transactionError(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) || errors.As(err, new(*apierror.Error)) {
		return err
	}
	for _, kind := range []error{apierror.ErrInvalid, apierror.ErrNotFound, apierror.ErrConflict, apierror.ErrUnauthorized, apierror.ErrForbidden, apierror.ErrUnavailable} {
		if errors.Is(err, kind) {
			return err
		}
	}
	return classify(err, "access change")
}

// Revision is the access revision: the number of transactions that have
// changed who may do what.
//
// Every refusal answered from memory reads it (see accesscache.CatchUp), so
// it skips GORM and runs a statement prepared once: building, parsing and
// planning the one-row query each time was most of its cost. It is not
// counted by CountQueries.
func (s *Store) Revision(ctx context.Context) (uint64, error) {
	stmt, err := s.revision.get(ctx, s.sql)
	if err != nil {
		return 0, classify(err, "access revision")
	}
	var rev uint64
	err = stmt.QueryRowContext(ctx).Scan(&rev)
	return rev, classify(err, "access revision")
}

// prepared is a statement prepared on first use (the table it reads may
// not exist before Migrate) and kept for the store's life; database/sql
// prepares it again on each connection as needed.
type prepared struct {
	query string
	mu    sync.Mutex
	stmt  *sql.Stmt
}

func (p *prepared) get(ctx context.Context, db *sql.DB) (*sql.Stmt, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stmt == nil {
		stmt, err := db.PrepareContext(ctx, p.query)
		if err != nil {
			return nil, err
		}
		p.stmt = stmt
	}
	return p.stmt, nil
}

// ChangesThrough lists the changes of revisions after..upto, in revision
// order. A revision in that range with no row was pruned from the log.
func (s *Store) ChangesThrough(ctx context.Context, after, upto uint64) ([]Change, error) {
	var out []Change
	err := s.db.WithContext(ctx).Where("rev > ? AND rev <= ?", after, upto).Order("rev, id").Find(&out).Error
	return out, classify(err, "access changes")
}

// UnrevisedChanges counts the log's changes without a revision: a
// cerberus older than the access revision (migration 00009) writes them,
// while a rolling upgrade runs old and new replicas side by side.
func (s *Store) UnrevisedChanges(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&Change{}).Where("rev = 0").Count(&n).Error
	return n, classify(err, "access changes")
}

// PruneChanges deletes changes older than before.
func (s *Store) PruneChanges(ctx context.Context, before time.Time) error {
	return classify(s.db.WithContext(ctx).Where("at < ?", before).Delete(&Change{}).Error, "access changes")
}
