-- use: may invoke an AI gateway endpoint, or name a gateway secret or model
-- definition in one's own gateway objects, without reading their
-- configuration. It sits below read, which includes it: the ordered
-- operations move up one (use 1 < read 2 < edit 3 < manage 4; create stays
-- 0, apart). Grants keep their rows: they name operations by id. The new
-- element kinds (gateway_endpoint, gateway_secret, gateway_model_definition)
-- need no schema: pkg/catalogue declares them.

-- +goose Up
UPDATE operation SET ordinal = ordinal + 1 WHERE ordinal > 0;
INSERT INTO operation (name, ordinal) VALUES ('use', 1);

-- +goose Down
-- Grants of use go with it (an allow only: a deny is stored on read).
DELETE FROM user_permission WHERE permission_id IN
    (SELECT p.id FROM permission p JOIN operation o ON o.id = p.operation_id WHERE o.name = 'use');
DELETE FROM group_permission WHERE permission_id IN
    (SELECT p.id FROM permission p JOIN operation o ON o.id = p.operation_id WHERE o.name = 'use');
DELETE FROM permission WHERE operation_id IN (SELECT id FROM operation WHERE name = 'use');
DELETE FROM operation WHERE name = 'use';
UPDATE operation SET ordinal = ordinal - 1 WHERE ordinal > 1;
