package store

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"gorm.io/gorm"
)

// counter counts the statements match accepts.
type counter struct {
	match func(*gorm.DB) bool
	n     atomic.Int64
}

// counters are the counters running on one store. The GORM callback that
// feeds them is registered once, at Open: adding and removing callbacks is
// not safe while statements run, counters come and go at any time.
type counters struct {
	mu     sync.Mutex // serialises writers; readers load active
	active atomic.Pointer[[]*counter]
}

func (c *counters) register(db *gorm.DB) error {
	inc := func(tx *gorm.DB) {
		list := c.active.Load()
		if list == nil || tx.Statement.SQL.Len() == 0 || tx.DryRun {
			return
		}
		for _, k := range *list {
			if k.match(tx) {
				k.n.Add(1)
			}
		}
	}
	cb := db.Callback()
	for _, p := range []interface {
		Register(name string, fn func(*gorm.DB)) error
	}{cb.Query(), cb.Row(), cb.Raw(), cb.Create(), cb.Update(), cb.Delete()} {
		if err := p.Register("cerberus:count_queries", inc); err != nil {
			return err
		}
	}
	return nil
}

func (c *counters) add(match func(*gorm.DB) bool) (count func() int64, stop func()) {
	k := &counter{match: match}
	c.update(func(list []*counter) []*counter { return append(list, k) })
	var once sync.Once
	stop = func() {
		once.Do(func() {
			c.update(func(list []*counter) []*counter {
				return slices.DeleteFunc(list, func(x *counter) bool { return x == k })
			})
		})
	}
	return k.n.Load, stop
}

func (c *counters) update(fn func([]*counter) []*counter) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var list []*counter
	if p := c.active.Load(); p != nil {
		list = slices.Clone(*p)
	}
	list = fn(list)
	if len(list) == 0 {
		c.active.Store(nil)
		return
	}
	c.active.Store(&list)
}

// CountQueries counts the SQL statements the store sends through GORM from
// now until stop is called: every query, row scan, raw statement, insert,
// update and delete. Transaction control (BEGIN, COMMIT) and the few
// statements run on the bare connection (Ping, DatabaseName, Migrate) are
// not counted.
//
// It is meant for tests and diagnostics, such as pinning how many queries a
// decision costs. It is safe in production and at any time: the callback
// only increments atomic counters and never sees or keeps SQL text or
// arguments.
func (s *Store) CountQueries() (count func() int64, stop func()) {
	return s.counters.add(func(*gorm.DB) bool { return true })
}

// countKey tags a context whose statements a counter counts.
type countKey struct{}

// CountQueriesOf counts only the statements sent with the returned context
// or one derived from it: what one call costs on its own path, leaving out
// what goroutines running meanwhile send (a cache loading in the
// background).
func (s *Store) CountQueriesOf(ctx context.Context) (tagged context.Context, count func() int64, stop func()) {
	tag := new(byte)
	count, stop = s.counters.add(func(tx *gorm.DB) bool {
		got, _ := tx.Statement.Context.Value(countKey{}).(*byte)
		return got == tag
	})
	return context.WithValue(ctx, countKey{}, tag), count, stop
}
