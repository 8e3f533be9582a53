-- A deny gets a row of its own beside the allows of the same subject on the
-- same permission: effect joins the unique key of both grant tables, so an
-- explicit read allow no longer turns an admin's deny into "already exists"
-- while the allow keeps working. Rows stay as they are. The old
-- (user_id, permission_id, effect) index is now the unique key itself.

-- +goose Up
ALTER TABLE user_permission
    DROP INDEX ix_user_permission_user,
    DROP INDEX uq_user_permission,
    ADD UNIQUE KEY uq_user_permission (user_id, permission_id, effect);
ALTER TABLE group_permission
    DROP INDEX uq_group_permission,
    ADD UNIQUE KEY uq_group_permission (group_id, permission_id, effect);

-- +goose Down
-- The old key holds one row per subject and permission: where a deny and an
-- allow share one, the allow goes, so going back never opens access.
DELETE a FROM user_permission a
    JOIN user_permission d ON d.user_id = a.user_id AND d.permission_id = a.permission_id AND d.effect = 'deny'
    WHERE a.effect <> 'deny';
DELETE a FROM group_permission a
    JOIN group_permission d ON d.group_id = a.group_id AND d.permission_id = a.permission_id AND d.effect = 'deny'
    WHERE a.effect <> 'deny';
ALTER TABLE user_permission
    DROP INDEX uq_user_permission,
    ADD UNIQUE KEY uq_user_permission (user_id, permission_id),
    ADD KEY ix_user_permission_user (user_id, permission_id, effect);
ALTER TABLE group_permission
    DROP INDEX uq_group_permission,
    ADD UNIQUE KEY uq_group_permission (group_id, permission_id);
