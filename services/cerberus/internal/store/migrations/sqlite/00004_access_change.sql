-- The log of changes to who may do what: every replica's decision cache
-- reads it to drop what another replica changed. Rows are pruned after an
-- hour; AUTOINCREMENT keeps the id growing even when every row is pruned.

-- +goose Up
CREATE TABLE access_change (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    scope  TEXT NOT NULL,
    ref_id INTEGER NOT NULL
);
CREATE INDEX ix_access_change_at ON access_change (at);

-- +goose Down
DROP TABLE access_change;
