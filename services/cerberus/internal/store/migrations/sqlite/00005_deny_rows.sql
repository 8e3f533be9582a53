-- A deny gets a row of its own beside the allows of the same subject on the
-- same permission: effect joins the unique key of both grant tables, so an
-- explicit read allow no longer turns an admin's deny into "already exists"
-- while the allow keeps working. SQLite cannot change a table's constraints
-- in place: each table is rebuilt and its rows copied as they are (ids,
-- placers, times). The old (user_id, permission_id, effect) index is now
-- the unique key itself. See migrations/mysql for the same change.

-- +goose Up
CREATE TABLE user_permission_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    permission_id INTEGER NOT NULL REFERENCES permission (id) ON DELETE CASCADE,
    granted_by    INTEGER NULL REFERENCES "user" (id) ON DELETE SET NULL,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    effect        TEXT    NOT NULL DEFAULT 'allow',
    UNIQUE (user_id, permission_id, effect)
);
INSERT INTO user_permission_new (id, user_id, permission_id, granted_by, created_at, effect)
    SELECT id, user_id, permission_id, granted_by, created_at, effect FROM user_permission;
DROP TABLE user_permission;
ALTER TABLE user_permission_new RENAME TO user_permission;
CREATE INDEX ix_user_permission_permission ON user_permission (permission_id);

CREATE TABLE group_permission_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id      INTEGER NOT NULL REFERENCES user_group (id) ON DELETE CASCADE,
    permission_id INTEGER NOT NULL REFERENCES permission (id) ON DELETE CASCADE,
    effect        TEXT    NOT NULL DEFAULT 'allow',
    granted_by    INTEGER NULL REFERENCES "user" (id) ON DELETE SET NULL,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (group_id, permission_id, effect)
);
INSERT INTO group_permission_new (id, group_id, permission_id, effect, granted_by, created_at)
    SELECT id, group_id, permission_id, effect, granted_by, created_at FROM group_permission;
DROP TABLE group_permission;
ALTER TABLE group_permission_new RENAME TO group_permission;
CREATE INDEX ix_group_permission_permission ON group_permission (permission_id);

-- +goose Down
-- The old key holds one row per subject and permission: where a deny and an
-- allow share one, the deny is kept (rows go in deny first; OR IGNORE drops
-- the allow), so going back never opens access.
CREATE TABLE user_permission_old (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    permission_id INTEGER NOT NULL REFERENCES permission (id) ON DELETE CASCADE,
    granted_by    INTEGER NULL REFERENCES "user" (id) ON DELETE SET NULL,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    effect        TEXT    NOT NULL DEFAULT 'allow',
    UNIQUE (user_id, permission_id)
);
INSERT OR IGNORE INTO user_permission_old (id, user_id, permission_id, granted_by, created_at, effect)
    SELECT id, user_id, permission_id, granted_by, created_at, effect FROM user_permission
    ORDER BY CASE effect WHEN 'deny' THEN 0 ELSE 1 END, id;
DROP TABLE user_permission;
ALTER TABLE user_permission_old RENAME TO user_permission;
CREATE INDEX ix_user_permission_permission ON user_permission (permission_id);
CREATE INDEX ix_user_permission_user ON user_permission (user_id, permission_id, effect);

CREATE TABLE group_permission_old (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id      INTEGER NOT NULL REFERENCES user_group (id) ON DELETE CASCADE,
    permission_id INTEGER NOT NULL REFERENCES permission (id) ON DELETE CASCADE,
    effect        TEXT    NOT NULL DEFAULT 'allow',
    granted_by    INTEGER NULL REFERENCES "user" (id) ON DELETE SET NULL,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (group_id, permission_id)
);
INSERT OR IGNORE INTO group_permission_old (id, group_id, permission_id, effect, granted_by, created_at)
    SELECT id, group_id, permission_id, effect, granted_by, created_at FROM group_permission
    ORDER BY CASE effect WHEN 'deny' THEN 0 ELSE 1 END, id;
DROP TABLE group_permission;
ALTER TABLE group_permission_old RENAME TO group_permission;
CREATE INDEX ix_group_permission_permission ON group_permission (permission_id);
