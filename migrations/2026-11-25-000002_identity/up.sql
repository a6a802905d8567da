-- Companies, people, teams, sessions, invitations, API keys and the audit trail.
-- Every tenant-owned table carries company_id and leads its keys and indexes with it.

CREATE TABLE companies (
    id          uuid PRIMARY KEY,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 120),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER companies_touch BEFORE UPDATE ON companies
    FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();

CREATE TABLE teams (
    company_id  uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 80),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    UNIQUE (id)
);
CREATE UNIQUE INDEX teams_company_name ON teams (company_id, lower(name));
CREATE TRIGGER teams_touch BEFORE UPDATE ON teams
    FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();

CREATE TABLE users (
    company_id     uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id             uuid NOT NULL,
    -- One account per address across Pulse: login finds the company from the address.
    email          citext NOT NULL UNIQUE CHECK (char_length(email) BETWEEN 3 AND 254),
    name           text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 120),
    role           text NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'employee')),
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
    team_id        uuid,
    password_hash  text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    UNIQUE (id),
    FOREIGN KEY (company_id, team_id) REFERENCES teams (company_id, id)
);
CREATE INDEX users_company_team ON users (company_id, team_id);
CREATE TRIGGER users_touch BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();

CREATE TABLE team_managers (
    company_id  uuid NOT NULL,
    team_id     uuid NOT NULL,
    user_id     uuid NOT NULL,
    PRIMARY KEY (company_id, team_id, user_id),
    FOREIGN KEY (company_id, team_id) REFERENCES teams (company_id, id) ON DELETE CASCADE,
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);
CREATE INDEX team_managers_user ON team_managers (company_id, user_id);

-- Opaque refresh tokens, stored as SHA-256 hashes. A family is one sign-in; rotating
-- a token marks it used; presenting a used token revokes its whole family.
CREATE TABLE refresh_tokens (
    company_id   uuid NOT NULL,
    token_hash   bytea PRIMARY KEY,
    family_id    uuid NOT NULL,
    user_id      uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    revoked_at   timestamptz,
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (company_id, family_id);

-- Invitations: the link carries a random token, stored hashed.
CREATE TABLE invitations (
    company_id   uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id           uuid NOT NULL,
    email        citext NOT NULL CHECK (char_length(email) BETWEEN 3 AND 254),
    role         text NOT NULL CHECK (role IN ('owner', 'admin', 'manager', 'employee')),
    team_id      uuid,
    token_hash   bytea NOT NULL UNIQUE,
    invited_by   uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    accepted_at  timestamptz,
    revoked_at   timestamptz,
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, team_id) REFERENCES teams (company_id, id) ON DELETE SET NULL (team_id)
);
-- At most one open invitation per address.
CREATE UNIQUE INDEX invitations_open_email ON invitations (email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;

-- API keys for integrators: `pk_<prefix>_<secret>`; the prefix is shown, the secret hashed.
CREATE TABLE api_keys (
    company_id    uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    name          text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 80),
    role          text NOT NULL CHECK (role IN ('admin', 'manager', 'employee')),
    prefix        text NOT NULL UNIQUE,
    secret_hash   bytea NOT NULL,
    created_by    uuid NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    PRIMARY KEY (company_id, id),
    UNIQUE (id)
);

-- Hash-chained, append-only record of every change. `seq` counts per company from 1;
-- `hash` = SHA-256(prev_hash ‖ canonical event), so editing any row breaks the chain.
CREATE TABLE audit_events (
    company_id   uuid NOT NULL REFERENCES companies (id) ON DELETE RESTRICT,
    seq          bigint NOT NULL CHECK (seq > 0),
    id           uuid NOT NULL UNIQUE,
    occurred_at  timestamptz NOT NULL,
    actor_kind   text NOT NULL CHECK (actor_kind IN ('user', 'api_key', 'agent', 'stripe', 'system')),
    actor_id     uuid,
    action       text NOT NULL CHECK (char_length(action) BETWEEN 1 AND 80),
    target_kind  text NOT NULL CHECK (char_length(target_kind) BETWEEN 1 AND 40),
    target_id    uuid,
    summary      jsonb NOT NULL,
    ip           text,
    user_agent   text,
    prev_hash    bytea NOT NULL,
    hash         bytea NOT NULL,
    PRIMARY KEY (company_id, seq)
);
CREATE INDEX audit_events_company_time ON audit_events (company_id, occurred_at DESC);
CREATE INDEX audit_events_company_action ON audit_events (company_id, action, seq DESC);
CREATE INDEX audit_events_company_target ON audit_events (company_id, target_kind, target_id);
CREATE INDEX audit_events_company_actor ON audit_events (company_id, actor_id);

-- The newest link of each company's chain; updating it serialises appends per company.
CREATE TABLE audit_heads (
    company_id  uuid PRIMARY KEY REFERENCES companies (id) ON DELETE RESTRICT,
    seq         bigint NOT NULL,
    hash        bytea NOT NULL
);

CREATE FUNCTION pulse_audit_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION pulse_audit_is_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION pulse_audit_is_append_only();
