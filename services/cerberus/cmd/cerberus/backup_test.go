package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBackupRestoreRoundTrip backs up a populated database while cerberus
// serves it, restores the backup into a new database and starts cerberus
// on that: every session and token still authenticates (a revoked one
// stays revoked), every decision is the same, the audit trail is whole,
// nothing written after the backup is in it, and the schema is at this
// cerberus's migration (none applied at start).
func TestBackupRestoreRoundTrip(t *testing.T) {
	const adminPW = "backup-admin-Pa55word"
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			first := start(t, dsn, adminPW)
			admin := bearer(first.login(t, "admin", adminPW, http.StatusOK).Token)
			post := func(path string, body any, want int) {
				first.call(t, http.MethodPost, path, admin, body, nil, want)
			}
			for _, u := range []string{"alice", "bob", "carol"} {
				post("/api/users", map[string]string{"username": u, "password": u + "-Pa55word-backup"}, http.StatusCreated)
			}
			post("/api/groups", map[string]string{"name": "team"}, http.StatusCreated)
			first.call(t, http.MethodPut, "/api/groups/team/members/bob", admin, nil, nil, http.StatusNoContent)
			post("/api/elements", map[string]string{"name": "project:alpha"}, http.StatusCreated)
			post("/api/elements", map[string]string{"name": "experiment:1", "parent": "project:alpha"}, http.StatusCreated)
			post("/api/elements", map[string]string{"name": "experiment:2"}, http.StatusCreated)
			for _, g := range []map[string]string{
				{"element": "project:alpha", "operation": "read", "user": "alice"},
				{"element": "experiment:2", "operation": "edit", "group": "team"},
				{"element": "project:alpha", "operation": "manage", "user": "carol"},
				{"element": "experiment:1", "effect": "deny", "user": "carol"},
			} {
				post("/api/grants", g, http.StatusCreated)
			}
			first.login(t, "bob", "wrong-password", http.StatusUnauthorized) // an audited failure

			sessions := map[string]string{}
			for _, u := range []string{"alice", "bob", "carol"} {
				sessions[u] = first.login(t, u, u+"-Pa55word-backup", http.StatusOK).Token
			}
			type token struct {
				ID    uint64 `json:"id"`
				Token string `json:"token"`
			}
			var aliceTok, revoked token
			first.call(t, http.MethodPost, "/api/tokens", bearer(sessions["alice"]), map[string]any{"name": "ci"}, &aliceTok, http.StatusCreated)
			first.call(t, http.MethodPost, "/api/tokens", bearer(sessions["bob"]), map[string]any{"name": "old"}, &revoked, http.StatusCreated)
			first.call(t, http.MethodDelete, fmt.Sprintf("/api/tokens/%d", revoked.ID), bearer(sessions["bob"]), nil, nil, http.StatusNoContent)

			credentials := map[string]string{"alice's token": aliceTok.Token, "alice's session": sessions["alice"],
				"bob's session": sessions["bob"], "carol's session": sessions["carol"]}
			decisions := func(in *instance) map[string]bool {
				out := map[string]bool{}
				for who, secret := range credentials {
					for _, e := range []string{"project:alpha", "experiment:1", "experiment:2"} {
						for _, op := range []string{"read", "edit", "manage"} {
							out[who+" "+op+" "+e] = in.allowed(t, secret, e, op)
						}
					}
				}
				return out
			}
			before := decisions(first)
			for _, want := range []string{"alice's token read experiment:1", "bob's session edit experiment:2", "carol's session manage project:alpha"} {
				if !before[want] {
					t.Fatalf("%s is refused before the backup: the test's grants are wrong", want)
				}
			}
			if before["carol's session read experiment:1"] {
				t.Fatal("carol's deny does not hold before the backup")
			}
			auditBefore := auditTotal(t, first, admin)

			// The backup is taken while cerberus serves.
			file := filepath.Join(t.TempDir(), "auth.backup")
			code, stdout, stderr := cli(t, "backup", "--to", file)
			if code != 0 || !strings.Contains(stdout, "backed up the "+b.name+" database") {
				t.Fatalf("backup: exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			if info, err := os.Stat(file); err != nil || info.Mode().Perm() != 0o600 || info.Size() == 0 {
				t.Fatalf("the backup file: %v, %v (want mode 0600, not empty)", info, err)
			}
			// Written after the backup: not in what is restored.
			post("/api/users", map[string]string{"username": "dave", "password": "dave-Pa55word-backup"}, http.StatusCreated)
			post("/api/grants", map[string]string{"element": "experiment:1", "operation": "manage", "user": "alice"}, http.StatusCreated)
			first.stop(t)

			restored := b.dsn(t)
			t.Setenv("CERBERUS_DATABASE_DSN", restored)
			code, stdout, stderr = cli(t, "restore", "--from", file)
			m := regexp.MustCompile(`\(migration (\d+); this cerberus migrates to (\d+) at start\)`).FindStringSubmatch(stdout)
			if code != 0 || m == nil {
				t.Fatalf("restore: exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			if m[1] != m[2] {
				t.Errorf("restored at migration %s, want this cerberus's %s", m[1], m[2])
			}
			// A second restore into it is refused: it holds data now.
			if code, _, stderr := cli(t, "restore", "--from", file); code != 1 || !strings.Contains(stderr, "restore into a new database") {
				t.Errorf("a restore over the restored database: exit %d, %q; want 1 and a refusal", code, stderr)
			}

			second := start(t, restored, "another-admin-Pa55word")
			if got := auditTotal(t, second, admin); got != auditBefore {
				t.Errorf("%d audit entries restored, %d when backed up", got, auditBefore)
			}
			for who, secret := range credentials {
				want := strings.Fields(who)[0]
				want = strings.TrimSuffix(want, "'s")
				if got := second.me(t, bearer(secret)); got != want {
					t.Errorf("%s authenticates as %q after the restore", who, got)
				}
			}
			second.call(t, http.MethodGet, "/api/auth/me", bearer(revoked.Token), nil, nil, http.StatusUnauthorized)
			after := decisions(second)
			for k, v := range before {
				if after[k] != v {
					t.Errorf("%s: %v before the backup, %v after the restore", k, v, after[k])
				}
			}
			second.call(t, http.MethodGet, "/api/users/dave", admin, nil, nil, http.StatusNotFound)
			second.login(t, "admin", adminPW, http.StatusOK)
			_, logs := second.stop(t)
			if !strings.Contains(logs, `"migrations_applied":[]`) {
				t.Errorf("cerberus migrated the restored database at start: %s", logs)
			}
		})
	}
}

// TestBackupRefusals: what backup and restore refuse, with the exit code
// and a message saying why; nothing is left behind.
func TestBackupRefusals(t *testing.T) {
	dir := t.TempDir()
	live := "sqlite:" + filepath.Join(dir, "live.db")
	in := start(t, live, "refusals-admin-Pa55word")
	in.stop(t)
	backupFile := filepath.Join(dir, "live.backup")
	t.Setenv("CERBERUS_DATABASE_DSN", live)
	if code, _, stderr := cli(t, "backup", "--to", backupFile); code != 0 {
		t.Fatalf("backup: %d %s", code, stderr)
	}
	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(garbage, []byte("not a database\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, "fresh.db")
	tests := []struct {
		name     string
		dsn      string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"backup without --to", live, []string{"backup"}, 2, "usage"},
		{"restore without --from", live, []string{"restore"}, 2, "usage"},
		{"an unknown flag", live, []string{"backup", "--to", "x", "--all"}, 2, "flag provided but not defined"},
		{"an extra argument", live, []string{"backup", "--to", "x", "y"}, 2, "usage"},
		{"no database named", "", []string{"backup", "--to", filepath.Join(dir, "x")}, 2, "CERBERUS_DATABASE_DSN must name the database"},
		{"a bad database address", "mysql://", []string{"backup", "--to", filepath.Join(dir, "x")}, 2, "CERBERUS_DATABASE_DSN"},
		{"a backup over an existing file", live, []string{"backup", "--to", backupFile}, 1, "already exists"},
		{"a database that does not exist", "sqlite:" + filepath.Join(dir, "none.db"), []string{"backup", "--to", filepath.Join(dir, "y")}, 1, "no such file"},
		{"a restore over a live database", live, []string{"restore", "--from", backupFile}, 1, "restore into a new database file"},
		{"a restore from a missing file", "sqlite:" + fresh, []string{"restore", "--from", filepath.Join(dir, "missing")}, 1, "no such file"},
		{"a restore from a file that is no database", "sqlite:" + fresh, []string{"restore", "--from", garbage}, 1, "not a database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CERBERUS_DATABASE_DSN", tt.dsn)
			code, _, stderr := cli(t, tt.args...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tt.wantCode, tt.wantErr)
			}
			for _, left := range []string{filepath.Join(dir, "x"), filepath.Join(dir, "y"), fresh, fresh + "-wal"} {
				if _, err := os.Stat(left); err == nil {
					t.Errorf("%s was left behind", left)
				}
			}
		})
	}
}

// cli runs cerberus with args as main does.
func cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(t.Context(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func auditTotal(t *testing.T, in *instance, admin string) int {
	t.Helper()
	var page struct {
		Total int `json:"total"`
	}
	in.call(t, http.MethodGet, "/api/audit?limit=1", admin, nil, &page, http.StatusOK)
	return page.Total
}
