-- The access revision: one number, bumped in the same transaction as every
-- change to who may do what, and stamped on that transaction's rows of the
-- access change log. The row lock on it orders those transactions, so the
-- revisions are dense and committed in order: a replica that has applied
-- every revision up to N knows of every change up to N, and tells
-- ml_studio so (its decision cache drops answers older than the newest
-- revision it hears of).

-- +goose Up
CREATE TABLE access_revision (
    id  TINYINT UNSIGNED NOT NULL PRIMARY KEY,
    rev BIGINT UNSIGNED NOT NULL
) ENGINE=InnoDB;
INSERT INTO access_revision (id, rev) VALUES (1, 0);
ALTER TABLE access_change
    ADD COLUMN rev BIGINT UNSIGNED NOT NULL DEFAULT 0,
    ADD KEY ix_access_change_rev (rev);

-- +goose Down
ALTER TABLE access_change DROP KEY ix_access_change_rev, DROP COLUMN rev;
DROP TABLE access_revision;
