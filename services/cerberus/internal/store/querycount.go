package store

import (
	"context"
	"fmt"
	"sync/atomic"

	"gorm.io/gorm"
)

// counters numbers CountQueries' callbacks so that several counters can run
// side by side and each stop removes only its own.
var counters atomic.Uint64

// CountQueries counts the SQL statements the store sends through GORM from
// now until stop is called: every query, row scan, raw statement, insert,
// update and delete. Transaction control (BEGIN, COMMIT) and the few
// statements run on the bare connection (Ping, DatabaseName, Migrate) are
// not counted.
//
// It is meant for tests and diagnostics, such as pinning how many queries a
// decision costs. It is safe in production: the callback only increments an
// atomic counter and never sees or keeps SQL text or arguments. Adding and
// removing GORM callbacks is not synchronised with statements in flight, so
// call CountQueries and stop while the store is idle (before it serves, or
// between the steps of a test); count may be called at any time.
func (s *Store) CountQueries() (count func() int64, stop func()) {
	return s.countWhere(func(*gorm.DB) bool { return true })
}

// countKey tags a context whose statements a counter counts.
type countKey struct{}

// CountQueriesOf counts only the statements sent with the returned context
// or one derived from it: what one call costs on its own path, leaving out
// what goroutines running meanwhile send (a cache loading in the
// background). The same caveats as CountQueries apply.
func (s *Store) CountQueriesOf(ctx context.Context) (tagged context.Context, count func() int64, stop func()) {
	tag := new(byte)
	count, stop = s.countWhere(func(tx *gorm.DB) bool {
		got, _ := tx.Statement.Context.Value(countKey{}).(*byte)
		return got == tag
	})
	return context.WithValue(ctx, countKey{}, tag), count, stop
}

func (s *Store) countWhere(match func(*gorm.DB) bool) (count func() int64, stop func()) {
	var n atomic.Int64
	name := fmt.Sprintf("cerberus:count_queries_%d", counters.Add(1))
	inc := func(tx *gorm.DB) {
		if tx.Statement.SQL.Len() > 0 && !tx.DryRun && match(tx) {
			n.Add(1)
		}
	}
	cb := s.db.Callback()
	processors := []interface {
		Register(name string, fn func(*gorm.DB)) error
		Remove(name string) error
	}{cb.Query(), cb.Row(), cb.Raw(), cb.Create(), cb.Update(), cb.Delete()}
	for _, p := range processors {
		// Registering a new, uniquely named callback only fails on a
		// misordered chain, which appending at the end cannot cause.
		_ = p.Register(name, inc)
	}
	var once atomic.Bool
	stop = func() {
		if once.Swap(true) {
			return
		}
		for _, p := range processors {
			_ = p.Remove(name)
		}
	}
	return n.Load, stop
}
