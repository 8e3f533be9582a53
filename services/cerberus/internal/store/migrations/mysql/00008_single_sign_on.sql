-- Single sign-on with an OpenID provider (issue #17).
-- user.idp_subject: the provider's `sub` of an account it signed in (NULL
-- for local accounts); a sign-in finds its account by it, not by a
-- username the provider may let someone else take later.
-- user_group.idp_managed: a group the provider's groups claim fills; each
-- sign-in sets the user's memberships of these groups, and never touches a
-- local group of the same name.
-- oidc_login: a sign-in under way. The state is stored as its SHA-256; the
-- browser that started it holds the PKCE verifier in a cookie, and the row
-- its S256 challenge, which so also binds the callback and the ticket
-- redemption to that browser. Both the state and the ticket are taken once.

-- +goose Up
ALTER TABLE `user` ADD COLUMN idp_subject VARCHAR(255) NULL;
CREATE UNIQUE INDEX uq_user_idp_subject ON `user` (idp_subject);
ALTER TABLE user_group ADD COLUMN idp_managed BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE oidc_login (
    id                 BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    state_hash         CHAR(64)        NOT NULL,
    challenge          VARCHAR(64)     NOT NULL,
    nonce              VARCHAR(64)     NOT NULL,
    next_path          VARCHAR(2048)   NOT NULL DEFAULT '/',
    created_at         DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    expires_at         DATETIME(6)     NOT NULL,
    state_used_at      DATETIME(6)     NULL,
    ticket_hash        CHAR(64)        NULL,
    ticket_used_at     DATETIME(6)     NULL,
    user_id            BIGINT UNSIGNED NULL,
    session_expires_at DATETIME(6)     NULL,
    UNIQUE KEY uq_oidc_login_state (state_hash),
    UNIQUE KEY uq_oidc_login_ticket (ticket_hash),
    KEY ix_oidc_login_expires (expires_at),
    CONSTRAINT fk_oidc_login_user FOREIGN KEY (user_id) REFERENCES `user` (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE oidc_login;
ALTER TABLE user_group DROP COLUMN idp_managed;
DROP INDEX uq_user_idp_subject ON `user`;
ALTER TABLE `user` DROP COLUMN idp_subject;
