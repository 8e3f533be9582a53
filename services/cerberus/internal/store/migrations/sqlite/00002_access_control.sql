-- What an organisation needs beside the seed's tables: groups, explicit
-- deny grants, sessions, API tokens and an audit trail (see migrations/mysql).

-- +goose Up
ALTER TABLE user_permission ADD COLUMN effect TEXT NOT NULL DEFAULT 'allow';
CREATE INDEX ix_user_permission_user ON user_permission (user_id, permission_id, effect);

CREATE TABLE user_group (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at  DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE user_group_member (
    group_id   INTEGER NOT NULL REFERENCES user_group (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX ix_user_group_member_user ON user_group_member (user_id, group_id);

CREATE TABLE group_permission (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id      INTEGER NOT NULL REFERENCES user_group (id) ON DELETE CASCADE,
    permission_id INTEGER NOT NULL REFERENCES permission (id) ON DELETE CASCADE,
    effect        TEXT    NOT NULL DEFAULT 'allow',
    granted_by    INTEGER NULL REFERENCES "user" (id) ON DELETE SET NULL,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (group_id, permission_id)
);
CREATE INDEX ix_group_permission_permission ON group_permission (permission_id);

CREATE TABLE credential (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at   DATETIME NOT NULL,
    last_used_at DATETIME NULL,
    revoked_at   DATETIME NULL
);
CREATE INDEX ix_credential_user ON credential (user_id, kind);

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    actor_id   INTEGER NULL,
    actor      TEXT NOT NULL DEFAULT '',
    action     TEXT NOT NULL,
    target     TEXT NOT NULL DEFAULT '',
    result     TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT '',
    request_id TEXT NOT NULL DEFAULT '',
    client_ip  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_audit_at ON audit_log (at);
CREATE INDEX ix_audit_actor ON audit_log (actor, at);
CREATE INDEX ix_audit_action ON audit_log (action, at);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE credential;
DROP TABLE group_permission;
DROP TABLE user_group_member;
DROP TABLE user_group;
DROP INDEX ix_user_permission_user;
ALTER TABLE user_permission DROP COLUMN effect;
