package accesscache

import (
	"context"
	"time"

	"go.uber.org/zap"
)

// pageSize is how many changes one read of the log takes.
const pageSize = 1000

// Run reads the change log every Sync interval until ctx ends.
func (c *Cache) Run(ctx context.Context) {
	if !c.Enabled() {
		return
	}
	t := time.NewTicker(c.cfg.Sync)
	defer t.Stop()
	failing := false
	for {
		err := c.Sync(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil && !failing:
			c.log.Warn("decision cache: cannot read the access change log; decisions go to the database", zap.Error(err))
		case err == nil && failing:
			c.log.Info("decision cache: reading the access change log again")
		}
		failing = err != nil
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sync applies the changes logged since the last call. The first call
// starts from the newest change: the cache holds nothing older.
func (c *Cache) Sync(ctx context.Context) error {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	began := c.now()
	if !c.started {
		last, err := c.st.LastChange(ctx)
		if err != nil {
			return err
		}
		c.mu.Lock()
		c.floor = max(c.floor, last)
		c.mu.Unlock()
		c.started = true
		c.markSynced(began)
		return nil
	}
	for {
		c.mu.RLock()
		floor := c.floor
		c.mu.RUnlock()
		changes, err := c.st.ChangesAfter(ctx, floor, pageSize)
		if err != nil {
			return err
		}
		c.mu.Lock()
		fresh := changes[:0:0]
		for _, ch := range changes {
			if _, ok := c.seen[ch.ID]; !ok && ch.ID > c.floor {
				fresh = append(fresh, ch)
			}
		}
		if len(fresh) > 0 {
			c.applyLocked(fresh)
		}
		c.advanceLocked(began)
		moved := c.floor > floor
		c.mu.Unlock()
		if len(changes) < pageSize || !moved {
			break
		}
	}
	c.markSynced(began)
	if began.Sub(c.lastPrune) > time.Minute {
		c.lastPrune = began
		if err := c.st.PruneChanges(ctx, began.Add(-retention)); err != nil {
			c.log.Warn("decision cache: prune the access change log", zap.Error(err))
		}
	}
	return nil
}

// advance moves the floor over applied ids, and over an id missing below
// an applied one once it has been missing for gapWait: ids are taken in
// order but committed in any order, and a rolled-back one never appears.
// The caller holds mu and syncMu.
func (c *Cache) advanceLocked(now time.Time) {
	top := c.floor
	for id := range c.seen {
		top = max(top, id)
	}
	if n := len(c.marks); n == 0 || c.marks[n-1].top < top {
		c.marks = append(c.marks, mark{top: top, at: now})
	}
	for c.floor < top {
		next := c.floor + 1
		if _, ok := c.seen[next]; ok {
			delete(c.seen, next)
			c.floor = next
			continue
		}
		// next has been missing since the first read that saw an id above it.
		i := 0
		for c.marks[i].top < next {
			i++
		}
		if now.Sub(c.marks[i].at) < gapWait {
			break
		}
		c.floor = next
	}
	for len(c.marks) > 0 && c.marks[0].top <= c.floor {
		c.marks = c.marks[1:]
	}
}

// markSynced records a successful read. After a stale spell (the log was
// unreadable longer than MaxStale) everything is forgotten: changes may
// have been pruned from the log meanwhile.
func (c *Cache) markSynced(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.synced.IsZero() && at.Sub(c.synced) > c.cfg.MaxStale {
		c.clear()
	}
	c.synced = at
}
