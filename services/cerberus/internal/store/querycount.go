package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
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

// bound is the store reading through db: one connection, or a session
// that logs its statements. It is for reads: its writes would not reach
// the store's change listeners.
func (s *Store) bound(db *gorm.DB) *Store {
	return &Store{db: db, sql: s.sql, dialect: s.dialect, ids: s.ids, revision: s.revision}
}

// RowsRead runs fn on one connection and returns how many rows the server
// read for it (the session's Handler_read_* counters, less what reading
// them costs) where the database tells: on MySQL. On SQLite it runs fn and
// ok is false. Like CountQueries it is for tests and diagnostics: pinning
// that a call's work does not grow with the tables. fn must read only.
func (s *Store) RowsRead(ctx context.Context, fn func(on *Store) error) (rows int64, ok bool, err error) {
	if s.dialect != MySQL {
		return 0, false, fn(s)
	}
	err = s.db.WithContext(ctx).Connection(func(tx *gorm.DB) error {
		read := func() (int64, error) {
			var counters []struct {
				VariableName string `gorm:"column:Variable_name"`
				Value        int64  `gorm:"column:Value"`
			}
			if err := tx.Raw("SHOW SESSION STATUS LIKE 'Handler_read%'").Scan(&counters).Error; err != nil {
				return 0, classify(err, "session status")
			}
			var n int64
			for _, c := range counters {
				n += c.Value
			}
			return n, nil
		}
		first, err := read()
		if err != nil {
			return err
		}
		before, err := read() // the second read tells what reading costs
		if err != nil {
			return err
		}
		if err := fn(s.bound(tx)); err != nil {
			return err
		}
		after, err := read()
		rows = after - before - (before - first)
		return err
	})
	return rows, err == nil, err
}

// Plans returns the query plan of each statement fn sends (EXPLAIN QUERY
// PLAN on SQLite, EXPLAIN on MySQL), one line per row of the plan: for
// tests that pin a call's statements to index searches. fn must read only.
func (s *Store) Plans(ctx context.Context, fn func(on *Store) error) ([][]string, error) {
	var statements []string
	on := s.bound(s.db.Session(&gorm.Session{Logger: sqlRecorder{&statements}}))
	if err := fn(on); err != nil {
		return nil, err
	}
	explain := "EXPLAIN QUERY PLAN "
	if s.dialect == MySQL {
		explain = "EXPLAIN "
	}
	plans := make([][]string, 0, len(statements))
	for _, q := range statements {
		rows, err := s.sql.QueryContext(ctx, explain+q)
		if err != nil {
			return nil, classify(err, "plan")
		}
		plan, err := planLines(rows)
		if err != nil {
			return nil, err
		}
		plans = append(plans, plan)
	}
	return plans, nil
}

// planLines reads an EXPLAIN answer as lines of space-separated cells.
func planLines(rows *sql.Rows) ([]string, error) {
	defer func() { _ = rows.Close() }()
	cols, err := rows.Columns()
	if err != nil {
		return nil, classify(err, "plan")
	}
	var lines []string
	for rows.Next() {
		cells := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range cells {
			ptrs[i] = &cells[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, classify(err, "plan")
		}
		line := make([]string, len(cells))
		for i, c := range cells {
			line[i] = c.String
		}
		lines = append(lines, strings.Join(line, " "))
	}
	return lines, classify(rows.Err(), "plan")
}

// sqlRecorder is a GORM logger that keeps each statement's SQL, with its
// arguments written in, for Plans.
type sqlRecorder struct{ statements *[]string }

func (r sqlRecorder) LogMode(logger.LogLevel) logger.Interface { return r }
func (sqlRecorder) Info(context.Context, string, ...any)       {}
func (sqlRecorder) Warn(context.Context, string, ...any)       {}
func (sqlRecorder) Error(context.Context, string, ...any)      {}
func (r sqlRecorder) Trace(_ context.Context, _ time.Time, fc func() (string, int64), _ error) {
	q, _ := fc()
	*r.statements = append(*r.statements, q)
}
