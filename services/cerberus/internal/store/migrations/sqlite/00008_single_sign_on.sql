-- Single sign-on with an OpenID provider (issue #17); see migrations/mysql.

-- +goose Up
ALTER TABLE "user" ADD COLUMN idp_subject TEXT NULL;
CREATE UNIQUE INDEX uq_user_idp_subject ON "user" (idp_subject);
ALTER TABLE user_group ADD COLUMN idp_managed BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE oidc_login (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    state_hash         TEXT     NOT NULL UNIQUE,
    challenge          TEXT     NOT NULL,
    nonce              TEXT     NOT NULL,
    next_path          TEXT     NOT NULL DEFAULT '/',
    created_at         DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    expires_at         DATETIME NOT NULL,
    state_used_at      DATETIME NULL,
    ticket_hash        TEXT     NULL UNIQUE,
    ticket_used_at     DATETIME NULL,
    user_id            INTEGER  NULL REFERENCES "user" (id) ON DELETE CASCADE,
    session_expires_at DATETIME NULL
);
CREATE INDEX ix_oidc_login_expires ON oidc_login (expires_at);

-- +goose Down
DROP TABLE oidc_login;
ALTER TABLE user_group DROP COLUMN idp_managed;
DROP INDEX uq_user_idp_subject;
ALTER TABLE "user" DROP COLUMN idp_subject;
