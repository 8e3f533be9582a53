// Package accesscache answers decisions from memory. It keeps what a
// decision reads — credentials, each user's and group's grants, element
// chains — and forgets an entry as soon as the access change log says it
// changed: at once for a change made through this process's store, within
// one sync interval for one made by another replica.
//
// It answers exactly what the store would (the same ChainGrants rows, the
// same credential owners) or, when it cannot vouch for an answer (not yet
// loaded, not synced recently), asks the store: it never answers from data
// it cannot prove current.
//
// It also tells which access revision its answers reflect (Revision): the
// revisions are dense and committed in order (see store.write), so every
// revision up to the reader's floor has been applied.
package accesscache

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/singleflight"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

// Config tunes the cache.
type Config struct {
	// Sync is how often the change log is read for other replicas'
	// changes; 0 turns the cache off and every decision asks the database.
	Sync time.Duration
	// MaxStale is how long the cache keeps answering without a successful
	// read of the change log (a database outage); after it, the database
	// answers (and fails closed while it is down).
	MaxStale time.Duration
	// MaxEntries bounds each kind of entry, and 4×MaxEntries the grants
	// held for users and groups; a full table is emptied and refills on
	// demand, so memory stays bounded whatever callers ask.
	MaxEntries int
}

// Defaults for a zero Config field.
const (
	defaultMaxStale   = 2 * time.Second
	defaultMaxEntries = 500_000
	// offPoll is how often the access revision is read when the cache
	// is off: what Revision reports must move even then.
	offPoll = 100 * time.Millisecond
	// retention is how long the change log is kept.
	retention = time.Hour
	// loadTimeout bounds a background load.
	loadTimeout = 10 * time.Second
	// waitForLoad is the batch size from which a decision about a user
	// not in memory waits for their grants to load rather than asking the
	// database about each element.
	waitForLoad = 64
)

type (
	// grantMap is a subject's grants by element id.
	grantMap map[uint64][]store.Held
	// userEntry is a user's own grants and their groups.
	userEntry struct {
		grants grantMap
		groups []uint64
	}
	elemKey struct {
		comp uint64
		name string
	}
	node struct {
		id, comp, parent uint64 // parent 0: none
		name             string
	}
)

// recentGens is how many generations recent remembers.
const recentGens = 64

// generation is what one invalidation touched: the user and group changes
// of one write, or everything.
type generation struct {
	gen uint64
	all bool
	// changed are the write's user and group changes (at most
	// maxRemembered; more count as everything).
	changed []store.Change
}

// maxRemembered bounds the changes remembered of one generation.
const maxRemembered = 16

// changeLog is what the reader needs of the store.
type changeLog interface {
	Revision(ctx context.Context) (uint64, error)
	ChangesThrough(ctx context.Context, after, upto uint64) ([]store.Change, error)
	UnrevisedChanges(ctx context.Context) (int64, error)
	PruneChanges(ctx context.Context, before time.Time) error
}

// Cache is the in-memory decision state of one cerberus process.
type Cache struct {
	st      *store.Store
	changes changeLog // st, but for tests of the reader
	cfg     Config
	log     *zap.Logger
	now     func() time.Time

	mu  sync.RWMutex
	gen uint64 // bumped by every invalidation: a load begun before is kept only if untouched (see touchedSince)
	// recent remembers which users and groups the last recentGens
	// generations changed (indexed by gen % recentGens), so that a load
	// across changes to someone else is kept.
	recent [recentGens]generation
	// elemGen is gen for elements: bumped only when elements may have
	// changed, so that the steady flow of grant changes does not discard
	// element loads.
	elemGen uint64
	synced  time.Time // last successful read of the change log
	tokens  map[string]*store.CredentialOwner
	byUser  map[uint64][]string // token hashes per user, to forget them with the user
	users   map[uint64]*userEntry
	groups  map[uint64]grantMap
	names   map[elemKey]*node
	absent  map[elemKey]struct{} // names known not to exist
	nodes   map[uint64]*node
	// held counts the grants loaded into users and groups since they were
	// last emptied (forgetting one does not count down: an over-count only
	// empties them a little early).
	held int
	// oversize are users whose grants alone exceed what the cache holds:
	// the database answers for them, without loading them again and again.
	oversize map[uint64]struct{}

	warming singleflight.Group
	// preloadPage is how many elements one read of the preload takes
	// (preloadPage, smaller in tests); asked is set by the first decision,
	// which starts the preload (see Run).
	preloadPage int
	asked       atomic.Bool

	// The change log reader's position, under mu: every revision up to
	// floor is applied, and those in seen above it (this process's own
	// writes, applied before the reader reaches them); latest is the
	// highest applied.
	floor  uint64
	seen   map[uint64]struct{}
	latest uint64

	// The revision read CatchUp shares (see sharedRevision): revBusy while
	// one runs, revNext the one waiting callers will share.
	revMu   sync.Mutex
	revBusy bool
	revNext *revisionRead

	// The reader's own state; syncMu serialises readers.
	syncMu    sync.Mutex
	started   bool
	unrevised int64 // the log's changes without a revision at the last read
	lastPrune time.Time
}

// New builds a cache over the store and subscribes it to the store's
// changes. It answers nothing from memory until Run (or Sync) has read the
// change log once.
func New(st *store.Store, cfg Config, log *zap.Logger) *Cache {
	if cfg.MaxStale <= 0 {
		cfg.MaxStale = max(defaultMaxStale, 4*cfg.Sync)
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = defaultMaxEntries
	}
	c := &Cache{st: st, changes: st, cfg: cfg, log: log, now: time.Now, seen: map[uint64]struct{}{}, preloadPage: preloadPage}
	c.clear()
	st.OnChange(c.apply)
	return c
}

// Enabled reports whether the cache answers at all.
func (c *Cache) Enabled() bool { return c.cfg.Sync > 0 }

// clear empties every table; the caller holds mu (or owns c).
func (c *Cache) clear() {
	c.gen++
	c.recent[c.gen%recentGens] = generation{gen: c.gen, all: true}
	c.elemGen++
	c.tokens = map[string]*store.CredentialOwner{}
	c.byUser = map[uint64][]string{}
	c.users = map[uint64]*userEntry{}
	c.groups = map[uint64]grantMap{}
	c.held = 0
	c.oversize = map[uint64]struct{}{}
	c.names = map[elemKey]*node{}
	c.absent = map[elemKey]struct{}{}
	c.nodes = map[uint64]*node{}
}

// freshLocked reports whether memory may answer; the caller holds mu.
func (c *Cache) freshLocked() bool {
	return c.Enabled() && !c.synced.IsZero() && c.now().Sub(c.synced) <= c.cfg.MaxStale
}

// fresh reports whether memory may answer.
func (c *Cache) fresh() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.freshLocked()
}

func (c *Cache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

func (c *Cache) elementGeneration() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.elemGen
}

// apply forgets what the changes touched.
func (c *Cache) apply(changes []store.Change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.applyLocked(changes)
}

// applyLocked forgets what the changes touched and remembers their
// revisions, so reading them again from the log does not forget twice; the
// caller holds mu.
func (c *Cache) applyLocked(changes []store.Change) {
	c.gen++
	c.rememberLocked(changes)
	for _, ch := range changes {
		if ch.Rev > c.floor {
			c.seen[ch.Rev] = struct{}{}
			c.latest = max(c.latest, ch.Rev)
		}
		switch ch.Scope {
		case store.ScopeUser:
			delete(c.users, ch.RefID)
			delete(c.oversize, ch.RefID)
			for _, h := range c.byUser[ch.RefID] {
				delete(c.tokens, h)
			}
			delete(c.byUser, ch.RefID)
		case store.ScopeGroup:
			delete(c.groups, ch.RefID)
		case store.ScopeElement:
			c.elemGen++
			if n := c.nodes[ch.RefID]; n != nil {
				delete(c.names, elemKey{n.comp, n.name})
				delete(c.nodes, n.id)
			}
			// A registered or renamed element may carry a name known absent.
			c.absent = map[elemKey]struct{}{}
		default:
			// A scope this version does not know: forget everything.
			c.clear()
		}
	}
	c.advanceLocked()
}

// rememberLocked records which users and groups generation c.gen
// changes. Element changes are left out: a user's or group's grants are
// kept by element id, and ids are never given again (AUTO_INCREMENT,
// SQLite's AUTOINCREMENT), so the grants of a deleted element match no
// element. The caller holds mu.
func (c *Cache) rememberLocked(changes []store.Change) {
	g := generation{gen: c.gen}
	for _, ch := range changes {
		switch {
		case ch.Scope == store.ScopeElement:
		case (ch.Scope == store.ScopeUser || ch.Scope == store.ScopeGroup) && len(g.changed) < maxRemembered:
			g.changed = append(g.changed, store.Change{Scope: ch.Scope, RefID: ch.RefID})
		default:
			g.all, g.changed = true, nil
		}
		if g.all {
			break
		}
	}
	c.recent[c.gen%recentGens] = g
}

// touchedSince reports whether an invalidation after generation gen may
// have changed what a load of user's grants (with those of groups) or of
// one of user's credentials read: a load begun at gen is kept when not.
// The caller holds mu.
func (c *Cache) touchedSince(gen, user uint64, groups []uint64) bool {
	if c.gen-gen > recentGens {
		return true // the changes since are no longer remembered
	}
	for n := gen + 1; n <= c.gen; n++ {
		g := c.recent[n%recentGens]
		if g.gen != n || g.all {
			return true
		}
		for _, ch := range g.changed {
			if ch.Scope == store.ScopeUser && ch.RefID == user || ch.Scope == store.ScopeGroup && slices.Contains(groups, ch.RefID) {
				return true
			}
		}
	}
	return false
}

var errNoCredential = fmt.Errorf("credential: %w", apierror.ErrNotFound)

// ResolveCredential is store.ResolveCredential from memory when it can.
func (c *Cache) ResolveCredential(ctx context.Context, hash string, now time.Time) (store.CredentialOwner, error) {
	if !c.Enabled() {
		return c.st.ResolveCredential(ctx, hash, now)
	}
	c.mu.RLock()
	if c.freshLocked() {
		if o, ok := c.tokens[hash]; ok {
			out := *o
			c.mu.RUnlock()
			if !out.Credential.ExpiresAt.After(now) {
				return store.CredentialOwner{}, errNoCredential
			}
			return out, nil
		}
	}
	gen := c.gen
	c.mu.RUnlock()

	o, err := c.st.ResolveCredential(ctx, hash, now)
	if err != nil {
		return o, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.touchedSince(gen, o.User.ID, nil) {
		if len(c.tokens) >= c.cfg.MaxEntries {
			c.tokens, c.byUser = map[string]*store.CredentialOwner{}, map[uint64][]string{}
		}
		kept := o
		c.tokens[hash] = &kept
		c.byUser[o.User.ID] = append(c.byUser[o.User.ID], hash)
	}
	return o, nil
}

// MarkUsed records in memory that a credential's use was just written, so
// the next call does not write it again.
func (c *Cache) MarkUsed(hash string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if o := c.tokens[hash]; o != nil {
		o.Credential.LastUsedAt = &at
	}
}

// Answer is what Lookup found: store.ChainGrants's rows, and whether the
// database gave them.
type Answer struct {
	Rows []store.ChainGrant
	// Current: the rows were read from the database by this call, so they
	// reflect every change committed before it began, on any replica; a
	// refusal made from them has nothing to catch up (see CatchUp).
	Current bool
}

// ChainGrants is Lookup's rows.
func (c *Cache) ChainGrants(ctx context.Context, userID, componentID uint64, elements []string) ([]store.ChainGrant, error) {
	a, err := c.Lookup(ctx, userID, componentID, elements)
	return a.Rows, err
}

// Lookup is store.ChainGrants from memory when the user's grants and the
// elements' chains are loaded. A user not loaded yet is answered by the
// database (their grants on the elements' chains when memory holds those,
// else the chain query), and their grants then load in the background,
// except in a batch of waitForLoad elements or more, which waits for the
// load first; elements not
// loaded yet are loaded first, by name in one query (and their ancestors
// not held yet, by id, in one more per level).
func (c *Cache) Lookup(ctx context.Context, userID, componentID uint64, elements []string) (Answer, error) {
	fromStore := func() (Answer, error) {
		rows, err := c.st.ChainGrants(ctx, userID, componentID, elements)
		return Answer{Rows: rows, Current: err == nil}, err
	}
	if !c.Enabled() {
		return fromStore()
	}
	if !c.asked.Load() {
		c.asked.Store(true)
	}
	elements = unique(elements)
	rows, missing, ready := c.chainGrants(userID, componentID, elements)
	if !ready && !c.fresh() {
		// Stale (the change log unread for MaxStale): what a load would
		// keep is forgotten at the next read anyway (markSynced), and
		// loading each asker again while the reader is starved only adds
		// to the load that starves it.
		return fromStore()
	}
	if !ready && len(elements) < waitForLoad {
		// This decision's own query first; the user's grants load after
		// it, in the background, for their next ones: begun together, the
		// load's larger read slowed the query on a small machine.
		defer c.warm(userID)
		if a, ok, err := c.heldOnChains(ctx, userID, componentID, elements); ok || err != nil {
			return a, err
		}
		return fromStore()
	}
	if !ready {
		loaded := c.warm(userID)
		if loaded == nil {
			return fromStore()
		}
		// A large batch waits for the user's grants: reading them costs
		// what the user and their groups hold, while the chain query's
		// cost grows with every element asked about — and the next
		// batch (the next page) is answered from memory.
		select {
		case <-loaded:
		case <-ctx.Done():
			return Answer{}, ctx.Err()
		}
		if rows, missing, ready = c.chainGrants(userID, componentID, elements); !ready {
			return fromStore()
		}
	}
	if len(missing) == 0 {
		return Answer{Rows: rows}, nil
	}
	if err := c.loadElements(ctx, componentID, missing); err != nil {
		return Answer{}, err
	}
	if rows, missing, ready = c.chainGrants(userID, componentID, elements); ready && len(missing) == 0 {
		return Answer{Rows: rows}, nil
	}
	// Something was forgotten meanwhile: the database answers this one.
	return fromStore()
}

// userLoadedLocked reports whether a user's grants and all their groups' are in memory.
func (c *Cache) userLoadedLocked(userID uint64) bool {
	u := c.users[userID]
	if u == nil {
		return false
	}
	for _, g := range u.groups {
		if _, ok := c.groups[g]; !ok {
			return false
		}
	}
	return true
}

// chainLoadedLocked reports whether an element is known absent, or known
// with every ancestor a decision walks.
func (c *Cache) chainLoadedLocked(comp uint64, name string) bool {
	k := elemKey{comp, name}
	if _, ok := c.absent[k]; ok {
		return true
	}
	n := c.names[k]
	for depth := 0; n != nil; depth++ {
		if n.parent == 0 || depth == store.MaxDepth {
			return true
		}
		n = c.nodes[n.parent]
	}
	return false
}

// chainGrants builds the rows store.ChainGrants returns: per element, one
// row proving it exists, then every grant of the user or their groups on
// it (depth 0), its ancestors (1, 2, …) and the component root (-1). It
// is not ready when memory may not answer for the user (not synced
// recently, or the user's grants not loaded); missing lists the elements,
// the root among them, whose chains are not loaded yet (rows are then
// incomplete).
func (c *Cache) chainGrants(userID, comp uint64, elements []string) (rows []store.ChainGrant, missing []string, ready bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !c.freshLocked() || !c.userLoadedLocked(userID) {
		return nil, nil, false
	}
	u := c.users[userID]
	var held [4]grantMap // the user's and (most users) their groups', without allocating
	holders := append(held[:0], u.grants)
	for _, g := range u.groups {
		holders = append(holders, c.groups[g])
	}
	rows, missing = c.chainRowsLocked(comp, elements, holders)
	return rows, missing, true
}

// chainRowsLocked builds store.ChainGrants's rows for the elements whose
// chains are in memory, from the grants of holders (the user's, then their
// groups'); missing lists the others (the root among them when it is not
// held). The caller holds mu.
func (c *Cache) chainRowsLocked(comp uint64, elements []string, holders []grantMap) (rows []store.ChainGrant, missing []string) {
	emit := func(start string, depth int, elementID uint64) {
		for _, m := range holders {
			for _, h := range m[elementID] {
				rows = append(rows, store.ChainGrant{Start: start, Depth: depth, Operation: h.Operation, Ordinal: h.Ordinal, Effect: h.Effect})
			}
		}
	}
	if !c.chainLoadedLocked(comp, store.Root) {
		missing = append(missing, store.Root)
	}
	root := c.names[elemKey{comp, store.Root}]
	for _, e := range elements {
		if !c.chainLoadedLocked(comp, e) {
			missing = append(missing, e)
			continue
		}
		n := c.names[elemKey{comp, e}]
		if n == nil {
			continue // known absent: no rows, so the decision says unknown element
		}
		rows = append(rows, store.ChainGrant{Start: e})
		for depth := 0; n != nil && depth <= store.MaxDepth; depth++ {
			emit(e, depth, n.id)
			n = c.nodes[n.parent]
		}
		if root != nil {
			emit(e, -1, root.id)
		}
	}
	return rows, missing
}

// heldOnChains answers for a user not in memory about elements whose
// chains are: the store reads the user's and their groups' grants on just
// those elements (store.HeldOn), where the chain query would walk the tree
// up from each name again — what made a decision for a user not in memory
// slow. ok is false when a chain is not in memory, or an element changed
// during the read: the caller asks the chain query then. The answer is not
// Current: the chains are memory's.
func (c *Cache) heldOnChains(ctx context.Context, userID, comp uint64, elements []string) (Answer, bool, error) {
	c.mu.RLock()
	gen := c.elemGen
	var ids []uint64
	ok := c.chainLoadedLocked(comp, store.Root)
	for _, e := range elements {
		if !ok {
			break
		}
		ok = c.chainLoadedLocked(comp, e)
		for n, depth := c.names[elemKey{comp, e}], 0; ok && n != nil && depth <= store.MaxDepth; depth++ {
			ids = append(ids, n.id)
			n = c.nodes[n.parent]
		}
	}
	if root := c.names[elemKey{comp, store.Root}]; ok && root != nil {
		ids = append(ids, root.id)
	}
	c.mu.RUnlock()
	if !ok {
		return Answer{}, false, nil
	}
	held, err := c.st.HeldOn(ctx, userID, unique64(ids))
	if err != nil {
		return Answer{}, false, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.elemGen != gen || !c.freshLocked() {
		return Answer{}, false, nil
	}
	rows, missing := c.chainRowsLocked(comp, elements, []grantMap{byElement(held)})
	if len(missing) > 0 {
		return Answer{}, false, nil
	}
	return Answer{Rows: rows}, true, nil
}

// loadElements loads the named elements and those of their ancestors not
// in memory yet, and remembers the names that do not exist. Most batches
// cost one indexed lookup by name: the ancestors (projects, the root) are
// shared by many elements and already held.
func (c *Cache) loadElements(ctx context.Context, comp uint64, names []string) error {
	gen := c.elementGeneration()
	found, err := c.st.ElementsNamed(ctx, comp, names)
	if err != nil {
		return err
	}
	have := make(map[uint64]struct{}, len(found))
	for _, e := range found {
		have[e.ID] = struct{}{}
	}
	for level, depth := found, 0; depth < store.MaxDepth; depth++ {
		var need []uint64
		c.mu.RLock()
		for _, e := range level {
			if e.ParentID == nil {
				continue
			}
			_, held := c.nodes[*e.ParentID]
			if _, got := have[*e.ParentID]; !held && !got {
				have[*e.ParentID] = struct{}{}
				need = append(need, *e.ParentID)
			}
		}
		c.mu.RUnlock()
		if len(need) == 0 {
			break
		}
		if level, err = c.st.ElementsByID(ctx, need); err != nil {
			return err
		}
		found = append(found, level...)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.elemGen != gen {
		return nil // an element changed meanwhile: the caller checks again
	}
	if len(c.nodes)+len(found) > c.cfg.MaxEntries || len(c.absent)+len(names) > c.cfg.MaxEntries {
		c.names, c.nodes, c.absent = map[elemKey]*node{}, map[uint64]*node{}, map[elemKey]struct{}{}
	}
	c.keepElementsLocked(found)
	for _, name := range names {
		k := elemKey{comp, name}
		if _, ok := c.names[k]; !ok {
			c.absent[k] = struct{}{}
		}
	}
	return nil
}

// keepElementsLocked holds elements read from the store; the caller holds
// mu and has checked that no element changed since they were read.
func (c *Cache) keepElementsLocked(found []store.Element) {
	for _, e := range found {
		n := &node{id: e.ID, comp: e.ComponentID, name: e.Name}
		if e.ParentID != nil {
			n.parent = *e.ParentID
		}
		c.nodes[n.id] = n
		c.names[elemKey{n.comp, n.name}] = n
	}
}

// preloadPage is how many elements one read of the preload takes.
const preloadPage = 5000

// preloadElements reads the element table into memory, page by page, while
// it fills at most three quarters of MaxEntries (the rest is left to
// elements loaded on demand, so that these do not empty the table at
// once). A decision about an element not held costs a lookup by name (and
// its ancestors by id) on the request's path: the first question about
// each of a quarter of a million elements would pay it, and did — half the
// CPU of a bench's "cached" decisions. A page read while an element
// changed is dropped: those elements load on demand.
func (c *Cache) preloadElements(ctx context.Context) {
	limit := c.cfg.MaxEntries * 3 / 4
	var after uint64
	for ctx.Err() == nil {
		gen := c.elementGeneration()
		page, err := c.st.ElementsAfter(ctx, after, c.preloadPage)
		if err != nil {
			c.log.Debug("decision cache: preload elements", zap.Error(err))
			return
		}
		if len(page) == 0 {
			return
		}
		after = page[len(page)-1].ID
		c.mu.Lock()
		full := len(c.nodes)+len(page) > limit
		if !full && c.elemGen == gen {
			c.keepElementsLocked(page)
		}
		c.mu.Unlock()
		if full || len(page) < c.preloadPage {
			return
		}
	}
}

// warm loads a user's grants in the background; concurrent calls for one
// user share one load. The channel closes when the load ends; it is nil
// when the user is not loaded at all (their grants would not fit).
func (c *Cache) warm(userID uint64) <-chan singleflight.Result {
	c.mu.RLock()
	_, oversize := c.oversize[userID]
	c.mu.RUnlock()
	if oversize {
		return nil // the database answers for this user: loading would not fit
	}
	return c.warming.DoChan(strconv.FormatUint(userID, 10), func() (any, error) {
		ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
		defer cancel()
		// A change elsewhere during the load discards it; a few tries
		// get through all but a storm of writes, which the database serves.
		for range 3 {
			kept, err := c.loadUser(ctx, userID)
			if err != nil {
				c.log.Debug("load a user's grants", zap.Uint64("user_id", userID), zap.Error(err))
				return nil, err
			}
			if kept {
				break
			}
		}
		return nil, nil
	})
}

// loadUser reads a user's grants and memberships and the grants of the
// groups not in memory yet; it keeps them only if nothing changed them
// meanwhile (a change to another user does not discard the load: under a
// steady flow of changes every load was thrown away and tried again).
func (c *Cache) loadUser(ctx context.Context, userID uint64) (bool, error) {
	gen := c.generation()
	own, groups, err := c.st.UserGrants(ctx, userID)
	if err != nil {
		return false, err
	}
	c.mu.RLock()
	var need []uint64
	for _, g := range groups {
		if _, ok := c.groups[g]; !ok {
			need = append(need, g)
		}
	}
	c.mu.RUnlock()
	groupGrants, err := c.st.GroupGrants(ctx, need)
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.touchedSince(gen, userID, groups) {
		return false, nil
	}
	loaded := len(own)
	for _, g := range need {
		loaded += len(groupGrants[g])
	}
	if loaded > 4*c.cfg.MaxEntries {
		if len(c.oversize) < c.cfg.MaxEntries {
			c.oversize[userID] = struct{}{}
		}
		return true, nil
	}
	if len(c.users) >= c.cfg.MaxEntries || len(c.groups)+len(need) > c.cfg.MaxEntries || c.held+loaded > 4*c.cfg.MaxEntries {
		c.users, c.groups, c.held = map[uint64]*userEntry{}, map[uint64]grantMap{}, 0
	}
	c.held += loaded
	c.users[userID] = &userEntry{grants: byElement(own), groups: groups}
	for _, g := range need {
		c.groups[g] = byElement(groupGrants[g])
	}
	return true, nil
}

func byElement(held []store.Held) grantMap {
	m := make(grantMap, len(held))
	for _, h := range held {
		m[h.ElementID] = append(m[h.ElementID], h)
	}
	return m
}

func unique64(ids []uint64) []uint64 {
	seen := make(map[uint64]struct{}, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if _, dup := seen[id]; !dup {
			seen[id] = struct{}{}
			out = append(out, id)
		}
	}
	return out
}

func unique(names []string) []string {
	seen := make(map[string]struct{}, len(names))
	out := names[:0:0]
	for _, n := range names {
		if _, dup := seen[n]; !dup {
			seen[n] = struct{}{}
			out = append(out, n)
		}
	}
	return out
}

// Stats is what the cache holds and the most it may hold, for /metrics
// and the benchmark.
type Stats struct {
	Tokens   int // credentials by token hash
	Users    int // users whose grants are held
	Groups   int // groups whose grants are held
	Grants   int // grants loaded into users and groups (an over-count: see held)
	Elements int // elements held with their parent
	Absent   int // names known not to exist
	Oversize int // users answered by the database, too large to hold
	// Limit bounds each kind of entry; the grants are bounded by 4×Limit.
	Limit int
	// Bytes estimates the memory the entries take, from the size of each
	// kind of entry and of the maps holding it (not measured).
	Bytes int64
}

// Rough sizes of one entry, map slot included: the bound on memory that
// Stats reports rests on them.
const (
	tokenBytes   = 400 // a CredentialOwner (user, credential, their strings) and its hash key
	userBytes    = 200 // a userEntry, its maps and group list
	groupBytes   = 100
	grantBytes   = 90  // a store.Held in a slice of a map entry
	elementBytes = 220 // a node in two maps (by id and by name), name included
	absentBytes  = 100
)

// Stats reports the cache's size now.
func (c *Cache) Stats() Stats {
	c.mu.RLock()
	defer c.mu.RUnlock()
	st := Stats{Tokens: len(c.tokens), Users: len(c.users), Groups: len(c.groups), Grants: c.held,
		Elements: len(c.nodes), Absent: len(c.absent), Oversize: len(c.oversize), Limit: c.cfg.MaxEntries}
	st.Bytes = int64(st.Tokens*tokenBytes + st.Users*userBytes + st.Groups*groupBytes + st.Grants*grantBytes +
		st.Elements*elementBytes + st.Absent*absentBytes)
	return st
}

// MaxBytes estimates the memory of a full cache: what Limit bounds it to.
func (s Stats) MaxBytes() int64 {
	n := int64(s.Limit)
	return n*(tokenBytes+userBytes+groupBytes+elementBytes+absentBytes) + 4*n*grantBytes
}
