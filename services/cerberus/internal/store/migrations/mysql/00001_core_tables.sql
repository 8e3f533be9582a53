-- The seed's six tables. Element and model names are case-sensitive in
-- MLflow, hence the binary collation; usernames are lower-cased by the app.

-- +goose Up
CREATE TABLE `user` (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    username      VARCHAR(64)  NOT NULL,
    display_name  VARCHAR(128) NOT NULL DEFAULT '',
    email         VARCHAR(254) NOT NULL DEFAULT '',
    password_hash VARCHAR(255) NOT NULL DEFAULT '',
    is_active     BOOLEAN      NOT NULL DEFAULT TRUE,
    is_admin      BOOLEAN      NOT NULL DEFAULT FALSE,
    created_at    DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at    DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_user_username (username)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE component (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name        VARCHAR(64)  NOT NULL,
    description VARCHAR(255) NOT NULL DEFAULT '',
    UNIQUE KEY uq_component_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- ordinal orders read < edit < manage; create stands apart (ordinal 0).
CREATE TABLE operation (
    id      BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name    VARCHAR(32) NOT NULL,
    ordinal INT         NOT NULL DEFAULT 0,
    UNIQUE KEY uq_operation_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE element (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    component_id BIGINT UNSIGNED NOT NULL,
    name         VARCHAR(512)    NOT NULL,
    parent_id    BIGINT UNSIGNED NULL,
    created_by   BIGINT UNSIGNED NULL,
    created_at   DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_element_component_name (component_id, name),
    KEY ix_element_parent (parent_id),
    CONSTRAINT fk_element_component FOREIGN KEY (component_id) REFERENCES component (id),
    CONSTRAINT fk_element_parent FOREIGN KEY (parent_id) REFERENCES element (id),
    CONSTRAINT fk_element_created_by FOREIGN KEY (created_by) REFERENCES `user` (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE permission (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    component_id BIGINT UNSIGNED NOT NULL,
    element_id   BIGINT UNSIGNED NOT NULL,
    operation_id BIGINT UNSIGNED NOT NULL,
    UNIQUE KEY uq_permission_triple (component_id, element_id, operation_id),
    KEY ix_permission_element (element_id),
    CONSTRAINT fk_permission_component FOREIGN KEY (component_id) REFERENCES component (id),
    CONSTRAINT fk_permission_element FOREIGN KEY (element_id) REFERENCES element (id) ON DELETE CASCADE,
    CONSTRAINT fk_permission_operation FOREIGN KEY (operation_id) REFERENCES operation (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE user_permission (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    user_id       BIGINT UNSIGNED NOT NULL,
    permission_id BIGINT UNSIGNED NOT NULL,
    granted_by    BIGINT UNSIGNED NULL,
    created_at    DATETIME(6)     NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY uq_user_permission (user_id, permission_id),
    KEY ix_user_permission_permission (permission_id),
    CONSTRAINT fk_user_permission_user FOREIGN KEY (user_id) REFERENCES `user` (id) ON DELETE CASCADE,
    CONSTRAINT fk_user_permission_permission FOREIGN KEY (permission_id) REFERENCES permission (id) ON DELETE CASCADE,
    CONSTRAINT fk_user_permission_granted_by FOREIGN KEY (granted_by) REFERENCES `user` (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT INTO component (name, description) VALUES ('ml_studio', 'ML Studio: experiments, runs and models on MLflow');
INSERT INTO operation (name, ordinal) VALUES ('read', 1), ('edit', 2), ('manage', 3), ('create', 0);

-- +goose Down
DROP TABLE user_permission;
DROP TABLE permission;
DROP TABLE element;
DROP TABLE operation;
DROP TABLE component;
DROP TABLE `user`;
