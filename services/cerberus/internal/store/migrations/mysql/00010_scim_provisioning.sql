-- SCIM 2.0 provisioning (issue #17).
-- user.scim_provisioned: the identity provider made this account over SCIM,
-- so its sign-in may take it (it has no idp_subject until then) and SCIM
-- may change it; SCIM never touches a local account.
-- user.scim_deleted_at: SCIM deleted the account. The row stays disabled
-- (its grants, audit entries and elements keep their owner, and a
-- still-valid provider token cannot bring it back just in time); SCIM no
-- longer sees it, and provisioning its username again revives it.

-- +goose Up
ALTER TABLE `user` ADD COLUMN scim_provisioned BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE `user` ADD COLUMN scim_deleted_at DATETIME(6) NULL;

-- +goose Down
ALTER TABLE `user` DROP COLUMN scim_deleted_at;
ALTER TABLE `user` DROP COLUMN scim_provisioned;
