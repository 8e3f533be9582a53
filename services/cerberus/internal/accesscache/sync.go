package accesscache

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"
)

// pageSize is how many revisions one read of the log takes.
const pageSize = 1000

// Run reads the change log every Sync interval (every offPoll when the
// cache is off, for Revision) until ctx ends.
func (c *Cache) Run(ctx context.Context) {
	every := c.cfg.Sync
	if every <= 0 {
		every = offPoll
	}
	t := time.NewTicker(every)
	defer t.Stop()
	failing, preloaded := false, !c.Enabled()
	var preload sync.WaitGroup
	defer preload.Wait()
	for {
		err := c.Sync(ctx)
		if err == nil && !preloaded && c.asked.Load() {
			// Once the cache answers (elements read before its first sync
			// could be older than the changes it has applied) and is asked
			// to: by the first decision, so that a replica nobody asks
			// reads nothing, and elements a bulk load wrote after the start
			// (as the benchmark's, or a restore's) are read too.
			preloaded = true
			preload.Go(func() { c.preloadElements(ctx) })
		}
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
// starts from the current revision: the cache holds nothing older.
func (c *Cache) Sync(ctx context.Context) error {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	began := c.now()
	// One indexed read of one row when nothing changed.
	rev, err := c.changes.Revision(ctx)
	if err != nil {
		return err
	}
	// A change by a cerberus older than the revision (a rolling upgrade)
	// says neither its revision nor, reliably, its order: any new one
	// forgets everything. An indexed count, 0 once the upgrade is done and
	// its rows are pruned.
	unrevised, err := c.changes.UnrevisedChanges(ctx)
	if err != nil {
		return err
	}
	if c.started && unrevised != c.unrevised {
		c.log.Info("decision cache: access changed through a cerberus without access revisions (a rolling upgrade?); forgetting everything")
		c.mu.Lock()
		c.clear()
		c.mu.Unlock()
	}
	c.unrevised = unrevised
	if !c.started {
		c.mu.Lock()
		c.floor = max(c.floor, rev)
		c.latest = max(c.latest, c.floor)
		c.advanceLocked()
		c.mu.Unlock()
		c.started = true
		c.markSynced(began)
		return nil
	}
	for {
		c.mu.RLock()
		floor := c.floor
		c.mu.RUnlock()
		if floor >= rev {
			break
		}
		upto := min(rev, floor+pageSize)
		changes, err := c.changes.ChangesThrough(ctx, floor, upto)
		if err != nil {
			return err
		}
		c.mu.Lock()
		logged := make(map[uint64]struct{}, upto-floor)
		fresh := changes[:0:0]
		for _, ch := range changes {
			logged[ch.Rev] = struct{}{}
			if _, ok := c.seen[ch.Rev]; !ok && ch.Rev > c.floor {
				fresh = append(fresh, ch)
			}
		}
		for r := c.floor + 1; r <= upto; r++ {
			_, applied := c.seen[r]
			if _, ok := logged[r]; !ok && !applied {
				// Every revision logs at least one change: a missing one was
				// pruned while this reader was away, so what it changed is
				// unknown.
				c.log.Warn("decision cache: access changes pruned before they were read; forgetting everything",
					zap.Uint64("revision", r))
				c.clear()
				break
			}
		}
		if len(fresh) > 0 {
			c.applyLocked(fresh)
		}
		c.floor = max(c.floor, upto)
		c.latest = max(c.latest, c.floor)
		c.advanceLocked()
		c.mu.Unlock()
	}
	c.markSynced(began)
	if began.Sub(c.lastPrune) > time.Minute {
		c.lastPrune = began
		if err := c.changes.PruneChanges(ctx, began.Add(-retention)); err != nil {
			c.log.Warn("decision cache: prune the access change log", zap.Error(err))
		}
	}
	return nil
}

// CatchUp tells whether a decision answered from memory, begun when the
// reader's floor (Revision) was since, may have missed a change: it reads
// the access revision (one indexed row, the read shared by concurrent
// callers), applies at once what is committed but not applied yet, and
// reports whether anything was committed beyond since — then the decision
// must be made again. since is taken before the decision: the floor read
// afterwards may already cover a change the periodic read applied after
// the decision was answered.
func (c *Cache) CatchUp(ctx context.Context, since uint64) (bool, error) {
	if !c.Enabled() {
		return false, nil // every answer came from the database
	}
	rev, err := c.sharedRevision(ctx)
	if err != nil {
		return false, err
	}
	if rev <= since {
		return false, nil
	}
	c.mu.RLock()
	floor := c.floor
	c.mu.RUnlock()
	if rev > floor {
		if err := c.Sync(ctx); err != nil {
			return false, err
		}
	}
	return true, nil
}

// revisionRead is one read of the access revision, shared by every
// CatchUp that asked for one before it began.
type revisionRead struct {
	done    chan struct{}
	rev     uint64
	err     error
	callers int // under revMu until it begins
}

// sharedRevision reads the access revision for CatchUp: a read that began
// after the call, as CatchUp promises, but shared by every call waiting
// for one. Each refusal from memory asks; 32 clients' refusals at once
// made as many reads of the one row (a sixth of a cached decision's CPU on
// SQLite). While a read runs, new callers wait for the next, which starts
// when it ends.
func (c *Cache) sharedRevision(ctx context.Context) (uint64, error) {
	c.revMu.Lock()
	r := c.revNext
	if r == nil {
		r = &revisionRead{done: make(chan struct{})}
		c.revNext = r
	}
	r.callers++
	if !c.revBusy {
		c.startRevisionReadLocked()
	}
	c.revMu.Unlock()
	select {
	case <-r.done:
		return r.rev, r.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// startRevisionReadLocked begins the read revNext waits for, and when it
// ends the next one if callers wait; the caller holds revMu.
func (c *Cache) startRevisionReadLocked() {
	r := c.revNext
	c.revNext, c.revBusy = nil, true
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
		r.rev, r.err = c.changes.Revision(ctx)
		cancel()
		close(r.done)
		c.revMu.Lock()
		defer c.revMu.Unlock()
		c.revBusy = false
		if c.revNext != nil {
			c.startRevisionReadLocked()
		}
	}()
}

// advanceLocked moves the floor over revisions applied above it and
// forgets those at or below it. The caller holds mu.
func (c *Cache) advanceLocked() {
	for {
		if _, ok := c.seen[c.floor+1]; !ok {
			break
		}
		delete(c.seen, c.floor+1)
		c.floor++
	}
	for r := range c.seen {
		if r <= c.floor {
			delete(c.seen, r)
		}
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

// Revision says which access revisions this process's answers reflect:
// floor, every revision up to which is applied (a decision begun now
// reflects at least that), and latest, the highest applied (a write this
// process just made is at most that). ok is false when the log has not
// been read within MaxStale: then nothing can be vouched for.
func (c *Cache) Revision() (floor, latest uint64, ok bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	ok = !c.synced.IsZero() && c.now().Sub(c.synced) <= c.cfg.MaxStale
	return c.floor, c.latest, ok
}
