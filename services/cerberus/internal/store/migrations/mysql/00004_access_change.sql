-- The log of changes to who may do what: every replica's decision cache
-- reads it to drop what another replica changed. Rows are pruned after an
-- hour; the id only grows.

-- +goose Up
CREATE TABLE access_change (
    id     BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at     DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    scope  VARCHAR(16) NOT NULL,
    ref_id BIGINT UNSIGNED NOT NULL,
    KEY ix_access_change_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE access_change;
