-- The access revision: one number, bumped in the same transaction as every
-- change to who may do what, and stamped on that transaction's rows of the
-- access change log. Writes are serialised, so the revisions are dense and
-- committed in order (see migrations/mysql for why that matters).

-- +goose Up
CREATE TABLE access_revision (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    rev INTEGER NOT NULL
);
INSERT INTO access_revision (id, rev) VALUES (1, 0);
ALTER TABLE access_change ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
CREATE INDEX ix_access_change_rev ON access_change (rev);

-- +goose Down
DROP INDEX ix_access_change_rev;
ALTER TABLE access_change DROP COLUMN rev;
DROP TABLE access_revision;
