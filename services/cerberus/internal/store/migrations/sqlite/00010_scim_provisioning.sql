-- SCIM 2.0 provisioning (issue #17); see migrations/mysql.

-- +goose Up
ALTER TABLE "user" ADD COLUMN scim_provisioned BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE "user" ADD COLUMN scim_deleted_at DATETIME NULL;

-- +goose Down
ALTER TABLE "user" DROP COLUMN scim_deleted_at;
ALTER TABLE "user" DROP COLUMN scim_provisioned;
