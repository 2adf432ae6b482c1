-- Organizations, role structures, memberships and invitations.

ALTER TABLE users ADD COLUMN can_create_orgs BOOLEAN NOT NULL DEFAULT 1;

-- A role structure ("role mapping" in PropelAuth terms). "Default" is the one every org
-- uses unless it subscribes to another.
CREATE TABLE role_mappings (
    name        TEXT PRIMARY KEY,
    multi_role  BOOLEAN NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);

-- Roles of a mapping, ordered: rank 0 is the top of the hierarchy.
CREATE TABLE roles (
    mapping_name  TEXT NOT NULL REFERENCES role_mappings(name) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    rank          INTEGER NOT NULL,
    permissions   TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (mapping_name, name)
);

INSERT INTO role_mappings (name, multi_role, created_at) VALUES ('Default', 0, 0);
INSERT INTO roles (mapping_name, name, rank, permissions) VALUES
    ('Default', 'Owner', 0, '["gatehouse::can_invite","gatehouse::can_change_roles","gatehouse::can_remove_users","gatehouse::can_manage_org"]'),
    ('Default', 'Admin', 1, '["gatehouse::can_invite","gatehouse::can_change_roles","gatehouse::can_remove_users","gatehouse::can_manage_org"]'),
    ('Default', 'Member', 2, '[]');

CREATE TABLE orgs (
    id                        TEXT PRIMARY KEY,
    name                      TEXT NOT NULL,
    url_safe_name             TEXT NOT NULL UNIQUE,
    metadata                  TEXT NOT NULL DEFAULT '{}',
    max_users                 INTEGER,
    domain                    TEXT,
    extra_domains             TEXT NOT NULL DEFAULT '[]',
    domain_autojoin           BOOLEAN NOT NULL DEFAULT 0,
    domain_restrict           BOOLEAN NOT NULL DEFAULT 0,
    legacy_org_id             TEXT,
    custom_role_mapping_name  TEXT REFERENCES role_mappings(name),
    require_2fa_by            INTEGER,
    can_setup_saml            BOOLEAN NOT NULL DEFAULT 0,
    created_at                INTEGER NOT NULL
);

CREATE TABLE org_memberships (
    org_id            TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    user_id           TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role              TEXT NOT NULL,
    additional_roles  TEXT NOT NULL DEFAULT '[]',
    created_at        INTEGER NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_memberships_user_idx ON org_memberships(user_id);

CREATE TABLE org_invites (
    token_hash        TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    email             TEXT NOT NULL,
    role              TEXT NOT NULL,
    additional_roles  TEXT NOT NULL DEFAULT '[]',
    inviter_user_id   TEXT,
    created_at        INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    accepted_at       INTEGER,
    revoked_at        INTEGER
);
CREATE INDEX org_invites_org_idx ON org_invites(org_id);
CREATE INDEX org_invites_email_idx ON org_invites(email);
