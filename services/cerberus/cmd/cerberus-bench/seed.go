package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	accesssvc "github.com/ml-studio/ml-studio/services/cerberus/internal/service"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

// seeded maps the world's indices to database ids, and says what seeding cost.
type seeded struct {
	admin  uint64
	users  []uint64
	groups []uint64
	elems  []uint64 // by element index, the root included

	storeCalls int
	storeTime  time.Duration
	bulkRows   int
	bulkTime   time.Duration
}

// bulkBatch is the rows per INSERT: 1,000 rows of at most 6 columns stay far
// below SQLite's 32,766 variables and MySQL's 65,535 placeholders.
const bulkBatch = 1000

// seed writes the world into a migrated store. Users, groups, memberships,
// projects (with their owner's manage grant) and the project- and root-level
// grants go through the store's own methods, as the API would create them;
// the 50,000 experiments and models and their ~200,000 grants are inserted
// in bulk on the store's models, in one transaction.
func seed(ctx context.Context, st *store.Store, svc *accesssvc.Service, dsn store.DSN, w *world, passwordHash, adminPassword string) (*seeded, error) {
	s := &seeded{users: make([]uint64, w.users), groups: make([]uint64, w.groups), elems: make([]uint64, len(w.names))}
	comp, err := st.ComponentID(accesssvc.Component)
	if err != nil {
		return nil, err
	}
	// Writers queue on SQLite; on MariaDB a few in flight overlap their commits.
	workers := 8
	if dsn.Dialect == store.SQLite {
		workers = 1
	}
	start := time.Now()

	if _, _, err := svc.Bootstrap(ctx, "admin", adminPassword); err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	admin, err := st.UserByName(ctx, "admin")
	if err != nil {
		return nil, err
	}
	s.admin = admin.ID
	root, err := st.ElementByName(ctx, comp, store.Root)
	if err != nil {
		return nil, err
	}
	s.elems[w.root] = root.ID

	steps := []struct {
		what string
		n    int
		do   func(i int) error
	}{
		{"groups", w.groups, func(g int) error {
			grp := store.Group{Name: fmt.Sprintf("team-%03d", g), Description: "benchmark team"}
			if err := st.CreateGroup(ctx, &grp); err != nil {
				return err
			}
			s.groups[g] = grp.ID
			return nil
		}},
		{"users", w.users, func(u int) error {
			usr := store.User{Username: username(u), DisplayName: fmt.Sprintf("Bench User %d", u), Email: username(u) + "@bench.example", PasswordHash: passwordHash, IsActive: true}
			if err := st.CreateUser(ctx, &usr); err != nil {
				return err
			}
			s.users[u] = usr.ID
			return nil
		}},
		{"memberships", w.users, func(u int) error {
			for _, g := range w.userGroups[u] {
				if err := st.AddMember(ctx, s.groups[g], s.users[u]); err != nil {
					return err
				}
			}
			return nil
		}},
		{"projects", w.projects, func(p int) error {
			owner := s.users[w.projectOwner[p]]
			e, err := st.RegisterElement(ctx, comp, w.names[p], "", &owner)
			if err != nil {
				return err
			}
			s.elems[p] = e.ID
			return nil
		}},
	}
	for _, step := range steps {
		if err := parallel(ctx, step.n, workers, step.do); err != nil {
			return nil, fmt.Errorf("seed %s: %w", step.what, err)
		}
	}
	s.storeCalls = w.groups + w.users + w.projects + 2 // + the admin and the root lookup
	for _, ug := range w.userGroups {
		s.storeCalls += len(ug)
	}

	// Grants on one element go one after the other: two concurrent first
	// grants of the same permission fail on MariaDB (see docs/benchmarks.md).
	var byElement [][]grant
	at := map[int32]int{}
	for _, g := range w.grants {
		if g.via != viaStore {
			continue
		}
		i, ok := at[g.elem]
		if !ok {
			i = len(byElement)
			at[g.elem] = i
			byElement = append(byElement, nil)
		}
		byElement[i] = append(byElement[i], g)
		s.storeCalls++
	}
	err = parallel(ctx, len(byElement), workers, func(i int) error {
		for _, g := range byElement[i] {
			spec := store.GrantSpec{Subject: s.subject(g.subj), ComponentID: comp, Element: w.names[g.elem], Operation: opNames[g.ord], Effect: store.Allow, By: &s.admin}
			if g.deny {
				spec.Effect, spec.Operation = store.Deny, ""
			}
			if err := st.Grant(ctx, spec); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("seed project grants: %w", err)
	}
	s.storeTime = time.Since(start)

	start = time.Now()
	if s.bulkRows, err = bulkInsert(ctx, st, dsn, comp, w, s); err != nil {
		return nil, fmt.Errorf("bulk seed: %w", err)
	}
	s.bulkTime = time.Since(start)
	return s, nil
}

func username(u int) string { return fmt.Sprintf("user%04d", u) }

func (s *seeded) subject(sub subject) store.Subject {
	if sub.isGroup() {
		return store.Subject{Kind: store.SubjectGroup, ID: s.groups[sub.group()]}
	}
	return store.Subject{Kind: store.SubjectUser, ID: s.users[sub]}
}

// openGORM opens a connection of the benchmark's own to the store's
// database, with the same driver and settings: the store keeps its handle
// to itself.
func openGORM(dsn store.DSN) (*gorm.DB, error) {
	var dialector gorm.Dialector
	switch dsn.Dialect {
	case store.SQLite:
		dialector = sqlite.Open(dsn.Driver)
	case store.MySQL:
		dialector = mysql.New(mysql.Config{DSN: dsn.Driver, SkipInitializeWithVersion: true})
	default:
		return nil, fmt.Errorf("unknown dialect %q", dsn.Dialect)
	}
	db, err := gorm.Open(dialector, &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dsn.Dialect, err)
	}
	return db, nil
}

// bulkInsert inserts the children and the bulk grants with their permission
// rows, ids assigned here, in one transaction.
func bulkInsert(ctx context.Context, st *store.Store, dsn store.DSN, comp uint64, w *world, s *seeded) (int, error) {
	db, err := openGORM(dsn)
	if err != nil {
		return 0, err
	}
	if sqlDB, err := db.DB(); err == nil {
		defer func() { _ = sqlDB.Close() }()
	}
	opIDs := map[int8]uint64{}
	for ord, name := range opNames {
		if name == "" {
			continue
		}
		op, err := st.OperationByName(name)
		if err != nil {
			return 0, err
		}
		opIDs[int8(ord)] = op.ID
	}
	rows := 0
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		next := func(table string) (uint64, error) {
			var n uint64
			err := tx.Raw("SELECT COALESCE(MAX(id), 0) FROM " + table).Scan(&n).Error
			return n, err
		}
		now := time.Now().UTC()

		id, err := next("element")
		if err != nil {
			return err
		}
		elements := make([]store.Element, 0, w.elements)
		for c := w.projects; c < w.projects+w.elements; c++ {
			id++
			parent, creator := s.elems[w.parent[c]], s.users[w.childCreator[c-w.projects]]
			elements = append(elements, store.Element{ID: id, ComponentID: comp, Name: w.names[c], ParentID: &parent, CreatedBy: &creator, CreatedAt: now})
			s.elems[c] = id
		}
		if err := tx.CreateInBatches(elements, bulkBatch).Error; err != nil {
			return fmt.Errorf("elements: %w", err)
		}
		rows += len(elements)

		// One permission row per (element, operation) some grant needs; a
		// deny is stored on read.
		id, err = next("permission")
		if err != nil {
			return err
		}
		type permKey struct {
			elem int32
			ord  int8
		}
		permIDs := map[permKey]uint64{}
		var perms []store.Permission
		permOf := func(g grant) uint64 {
			k := permKey{g.elem, g.ord}
			if g.deny {
				k.ord = opRead
			}
			if pid, ok := permIDs[k]; ok {
				return pid
			}
			id++
			permIDs[k] = id
			perms = append(perms, store.Permission{ID: id, ComponentID: comp, ElementID: s.elems[k.elem], OperationID: opIDs[k.ord]})
			return id
		}
		var users []store.UserPermission
		var groups []store.GroupPermission
		for _, g := range w.grants {
			if g.via != viaBulk {
				continue
			}
			effect := store.Allow
			if g.deny {
				effect = store.Deny
			}
			pid := permOf(g)
			if g.subj.isGroup() {
				groups = append(groups, store.GroupPermission{GroupID: s.groups[g.subj.group()], PermissionID: pid, Effect: effect, GrantedBy: &s.admin, CreatedAt: now})
				continue
			}
			by := &s.admin
			if g.ord == opManage && w.childCreator[int(g.elem)-w.projects] == int32(g.subj) {
				by = &s.users[g.subj] // the creator's own grant, as RegisterElement records it
			}
			users = append(users, store.UserPermission{UserID: s.users[g.subj], PermissionID: pid, Effect: effect, GrantedBy: by, CreatedAt: now})
		}
		if err := tx.CreateInBatches(perms, bulkBatch).Error; err != nil {
			return fmt.Errorf("permissions: %w", err)
		}
		for _, t := range []struct {
			table string
			set   func(uint64)
			n     int
		}{
			{"user_permission", func(first uint64) {
				for i := range users {
					users[i].ID = first + uint64(i)
				}
			}, len(users)},
			{"group_permission", func(first uint64) {
				for i := range groups {
					groups[i].ID = first + uint64(i)
				}
			}, len(groups)},
		} {
			last, err := next(t.table)
			if err != nil {
				return err
			}
			t.set(last + 1)
		}
		if err := tx.CreateInBatches(users, bulkBatch).Error; err != nil {
			return fmt.Errorf("user grants: %w", err)
		}
		if err := tx.CreateInBatches(groups, bulkBatch).Error; err != nil {
			return fmt.Errorf("group grants: %w", err)
		}
		rows += len(perms) + len(users) + len(groups)
		return nil
	})
	return rows, err
}

// databaseVersion asks the server its version, for the report.
func databaseVersion(dsn store.DSN) string {
	db, err := openGORM(dsn)
	if err != nil {
		return "?"
	}
	if sqlDB, err := db.DB(); err == nil {
		defer func() { _ = sqlDB.Close() }()
	}
	q := "SELECT VERSION()"
	if dsn.Dialect == store.SQLite {
		q = "SELECT 'SQLite ' || sqlite_version()"
	}
	var v string
	if err := db.Raw(q).Scan(&v).Error; err != nil {
		return "?"
	}
	return v
}

// parallel runs do(0..n-1) on workers goroutines and returns the first error.
func parallel(ctx context.Context, n, workers int, do func(i int) error) error {
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
		failed  atomic.Bool
	)
	for range min(workers, max(n, 1)) {
		wg.Go(func() {
			for !failed.Load() && ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := do(i); err != nil {
					errOnce.Do(func() { first = err })
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
