-- The seed's six tables; kept column-for-column with migrations/mysql
-- (the storage suite checks both schemas match).

-- +goose Up
CREATE TABLE "user" (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL DEFAULT '',
    email         TEXT    NOT NULL DEFAULT '',
    password_hash TEXT    NOT NULL DEFAULT '',
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE component (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT ''
);

-- ordinal orders read < edit < manage; create stands apart (ordinal 0).
CREATE TABLE operation (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    name    TEXT    NOT NULL UNIQUE,
    ordinal INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE element (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    component_id INTEGER NOT NULL REFERENCES component (id),
    name         TEXT    NOT NULL,
    parent_id    INTEGER NULL REFERENCES element (id),
    created_by   INTEGER NULL REFERENCES "user" (id) ON DELETE SET NULL,
    created_at   DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (component_id, name)
);
CREATE INDEX ix_element_parent ON element (parent_id);

CREATE TABLE permission (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    component_id INTEGER NOT NULL REFERENCES component (id),
    element_id   INTEGER NOT NULL REFERENCES element (id) ON DELETE CASCADE,
    operation_id INTEGER NOT NULL REFERENCES operation (id),
    UNIQUE (component_id, element_id, operation_id)
);
CREATE INDEX ix_permission_element ON permission (element_id);

CREATE TABLE user_permission (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    permission_id INTEGER NOT NULL REFERENCES permission (id) ON DELETE CASCADE,
    granted_by    INTEGER NULL REFERENCES "user" (id) ON DELETE SET NULL,
    created_at    DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (user_id, permission_id)
);
CREATE INDEX ix_user_permission_permission ON user_permission (permission_id);

INSERT INTO component (name, description) VALUES ('ml_studio', 'ML Studio: experiments, runs and models on MLflow');
INSERT INTO operation (name, ordinal) VALUES ('read', 1), ('edit', 2), ('manage', 3), ('create', 0);

-- +goose Down
DROP TABLE user_permission;
DROP TABLE permission;
DROP TABLE element;
DROP TABLE operation;
DROP TABLE component;
DROP TABLE "user";
