-- The component root ("*": a grant on it reaches everything) and the
-- project experiments and models go to when created without one.

-- +goose Up
INSERT INTO element (component_id, name) SELECT id, '*' FROM component WHERE name = 'ml_studio';
INSERT INTO element (component_id, name) SELECT id, 'project:default' FROM component WHERE name = 'ml_studio';

-- +goose Down
DELETE FROM element WHERE name IN ('project:default', '*')
    AND component_id = (SELECT id FROM component WHERE name = 'ml_studio');
