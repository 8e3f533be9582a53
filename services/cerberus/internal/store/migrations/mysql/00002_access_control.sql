-- What an organisation needs beside the seed's tables: groups, explicit
-- deny grants, sessions, API tokens and an audit trail.

-- +goose Up
-- effect: 'allow' grants the operation; 'deny' (stored on the element's
-- read permission) removes every access to the element and what is below it.
ALTER TABLE user_permission ADD COLUMN effect VARCHAR(8) NOT NULL DEFAULT 'allow';
CREATE INDEX ix_user_permission_user ON user_permission (user_id, permission_id, effect);

CREATE TABLE user_group (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name        VARCHAR(64)  NOT NULL,
    description VARCHAR(255) NOT NULL DEFAULT '',
    created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_user_group_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE user_group_member (
    group_id   BIGINT UNSIGNED NOT NULL,
    user_id    BIGINT UNSIGNED NOT NULL,
    created_at DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (group_id, user_id),
    KEY ix_user_group_member_user (user_id, group_id),
    CONSTRAINT fk_member_group FOREIGN KEY (group_id) REFERENCES user_group (id) ON DELETE CASCADE,
    CONSTRAINT fk_member_user FOREIGN KEY (user_id) REFERENCES `user` (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE group_permission (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    group_id      BIGINT UNSIGNED NOT NULL,
    permission_id BIGINT UNSIGNED NOT NULL,
    effect        VARCHAR(8)      NOT NULL DEFAULT 'allow',
    granted_by    BIGINT UNSIGNED NULL,
    created_at    DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_group_permission (group_id, permission_id),
    KEY ix_group_permission_permission (permission_id),
    CONSTRAINT fk_group_permission_group FOREIGN KEY (group_id) REFERENCES user_group (id) ON DELETE CASCADE,
    CONSTRAINT fk_group_permission_permission FOREIGN KEY (permission_id) REFERENCES permission (id) ON DELETE CASCADE,
    CONSTRAINT fk_group_permission_granted_by FOREIGN KEY (granted_by) REFERENCES `user` (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Sessions and API tokens share one table: a secret's prefix says its kind,
-- and one indexed lookup by SHA-256 hash resolves either.
CREATE TABLE credential (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id      BIGINT UNSIGNED NOT NULL,
    kind         VARCHAR(16)  NOT NULL,
    name         VARCHAR(128) NOT NULL DEFAULT '',
    token_hash   CHAR(64)     NOT NULL,
    created_at   DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    expires_at   DATETIME(6)  NOT NULL,
    last_used_at DATETIME(6)  NULL,
    revoked_at   DATETIME(6)  NULL,
    UNIQUE KEY uq_credential_hash (token_hash),
    KEY ix_credential_user (user_id, kind),
    CONSTRAINT fk_credential_user FOREIGN KEY (user_id) REFERENCES `user` (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE audit_log (
    id         BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at         DATETIME(6)   NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    actor_id   BIGINT UNSIGNED NULL,
    actor      VARCHAR(64)   NOT NULL DEFAULT '',
    action     VARCHAR(64)   NOT NULL,
    target     VARCHAR(600)  NOT NULL DEFAULT '',
    result     VARCHAR(16)   NOT NULL,
    detail     VARCHAR(1024) NOT NULL DEFAULT '',
    request_id VARCHAR(128)  NOT NULL DEFAULT '',
    client_ip  VARCHAR(64)   NOT NULL DEFAULT '',
    KEY ix_audit_at (at),
    KEY ix_audit_actor (actor, at),
    KEY ix_audit_action (action, at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE audit_log;
DROP TABLE credential;
DROP TABLE group_permission;
DROP TABLE user_group_member;
DROP TABLE user_group;
DROP INDEX ix_user_permission_user ON user_permission;
ALTER TABLE user_permission DROP COLUMN effect;
