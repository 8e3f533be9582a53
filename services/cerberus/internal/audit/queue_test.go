package audit

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

// recorder is a Writer that keeps what it is given, optionally slowly.
type recorder struct {
	mu      sync.Mutex
	batches [][]string
	delay   time.Duration
}

func (r *recorder) RecordBatch(_ context.Context, entries []*store.AuditEntry) error {
	time.Sleep(r.delay)
	r.mu.Lock()
	defer r.mu.Unlock()
	var b []string
	for _, e := range entries {
		b = append(b, e.Target)
	}
	r.batches = append(r.batches, b)
	return nil
}

func (r *recorder) written() (entries []string, batches int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.batches {
		entries = append(entries, b...)
	}
	return entries, len(r.batches)
}

func entry(i int) *store.AuditEntry { return &store.AuditEntry{Target: fmt.Sprint(i)} }

func TestQueue(t *testing.T) {
	tests := []struct {
		name string
		// n entries are added while the queue runs (or before Run when !running).
		n       int
		running bool
		delay   time.Duration
		// maxBatches bounds how many writes n entries may take.
		maxBatches int
	}{
		{"not running: each entry written at once", 3, false, 0, 3},
		{"running: a burst goes in few batches", 1200, true, 0, 1200 / batchSize * 4},
		{"a slow database: the full queue pushes back, nothing is lost", queueSize + 500, true, 2 * time.Millisecond, queueSize + 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{delay: tt.delay}
			q := NewQueue(rec, zap.NewNop())
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			if tt.running {
				go func() { defer close(done); q.Run(ctx) }()
				waitRunning(t, q)
			}
			for i := range tt.n {
				q.Add(context.Background(), entry(i))
			}
			q.Flush(context.Background())
			got, batches := rec.written()
			if len(got) != tt.n {
				t.Fatalf("after Flush %d entries written, want %d", len(got), tt.n)
			}
			if batches > tt.maxBatches {
				t.Errorf("%d writes for %d entries, want at most %d", batches, tt.n, tt.maxBatches)
			}
			seen := map[string]bool{}
			for _, e := range got {
				if seen[e] {
					t.Fatalf("entry %s written twice", e)
				}
				seen[e] = true
			}
			cancel()
			if tt.running {
				<-done
			}
		})
	}
}

// TestQueueDrainsOnStop: what is queued when Run stops is written before
// it returns, and entries added afterwards are written at once.
func TestQueueDrainsOnStop(t *testing.T) {
	rec := &recorder{delay: time.Millisecond}
	q := NewQueue(rec, zap.NewNop())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); q.Run(ctx) }()
	waitRunning(t, q)
	for i := range 100 {
		q.Add(context.Background(), entry(i))
	}
	cancel()
	<-done
	if got, _ := rec.written(); len(got) != 100 {
		t.Fatalf("%d of 100 entries written when Run returned", len(got))
	}
	q.Add(context.Background(), entry(100))
	if got, _ := rec.written(); len(got) != 101 {
		t.Fatalf("an entry added after Run stopped was not written at once (%d written)", len(got))
	}
	q.Flush(context.Background()) // returns at once when not running
}

func waitRunning(t *testing.T, q *Queue) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		q.mu.RLock()
		running := q.running
		q.mu.RUnlock()
		if running {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not start")
		}
	}
}
