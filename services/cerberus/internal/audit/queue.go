// Package audit writes the trail of denied decisions off the request path:
// entries queue in memory and are written in batches, one statement and
// one commit for many, so a burst of denials does not become a burst of
// synchronous writes.
package audit

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

const (
	queueSize = 8192
	batchSize = 500
	// linger is how long the writer waits for more entries before writing.
	linger = 20 * time.Millisecond
)

// Writer stores entries; *store.Store is one.
type Writer interface {
	RecordBatch(ctx context.Context, entries []*store.AuditEntry) error
}

// item is an entry, or a flush marker (done set) that is closed once every
// entry queued before it is written.
type item struct {
	entry *store.AuditEntry
	done  chan struct{}
}

// Queue batches audit entries. Until Run starts, and after it returns,
// Add writes synchronously: no entry is ever dropped.
type Queue struct {
	w   Writer
	log *zap.Logger
	ch  chan item

	mu      sync.RWMutex
	running bool
	stopped chan struct{} // closed when Run returns
}

// NewQueue makes a queue over w.
func NewQueue(w Writer, log *zap.Logger) *Queue {
	return &Queue{w: w, log: log, ch: make(chan item, queueSize), stopped: make(chan struct{})}
}

// Add queues an entry. When the queue is full the caller writes it
// itself: backpressure rather than loss.
func (q *Queue) Add(ctx context.Context, e *store.AuditEntry) {
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	q.mu.RLock()
	if q.running {
		select {
		case q.ch <- item{entry: e}:
			q.mu.RUnlock()
			return
		default:
		}
	}
	q.mu.RUnlock()
	q.write(context.WithoutCancel(ctx), []*store.AuditEntry{e})
}

// Flush returns once every entry added before it is written (or ctx ends).
func (q *Queue) Flush(ctx context.Context) {
	q.mu.RLock()
	running := q.running
	q.mu.RUnlock()
	if !running {
		return
	}
	done := make(chan struct{})
	select {
	case q.ch <- item{done: done}:
	case <-ctx.Done():
		return
	case <-q.stopped:
		return
	}
	select {
	case <-done:
	case <-ctx.Done():
	case <-q.stopped:
	}
}

// Run writes queued entries until ctx ends, then writes what is left.
func (q *Queue) Run(ctx context.Context) {
	q.mu.Lock()
	q.running = true
	q.mu.Unlock()
	defer close(q.stopped)
	batch := make([]*store.AuditEntry, 0, batchSize)
	var waiting []chan struct{}
	flush := func() {
		if len(batch) > 0 {
			q.write(context.Background(), batch)
			batch = batch[:0]
		}
		for _, d := range waiting {
			close(d)
		}
		waiting = waiting[:0]
	}
	take := func(it item) {
		if it.done != nil {
			waiting = append(waiting, it.done)
		} else {
			batch = append(batch, it.entry)
		}
	}
	timer := time.NewTimer(linger)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			// No new entries once running is off: Add writes them itself.
			q.mu.Lock()
			q.running = false
			q.mu.Unlock()
			for {
				select {
				case it := <-q.ch:
					take(it)
					continue
				default:
				}
				break
			}
			flush()
			return
		case it := <-q.ch:
			take(it)
			// Gather what else is queued, up to a batch, for at most linger.
			timer.Reset(linger)
		gather:
			for len(batch) < batchSize && len(waiting) == 0 {
				select {
				case it := <-q.ch:
					take(it)
				case <-timer.C:
					break gather
				}
			}
			flush()
		}
	}
}

func (q *Queue) write(ctx context.Context, batch []*store.AuditEntry) {
	if err := q.w.RecordBatch(ctx, batch); err != nil {
		q.log.Error("audit: could not record denied decisions", zap.Int("entries", len(batch)), zap.Error(err))
	}
}
