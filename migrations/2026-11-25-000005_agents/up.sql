-- Desktop agents and the tokens that enroll them.

-- How many employees may be monitored; billing sets it from the plan.
ALTER TABLE companies ADD COLUMN seat_limit integer NOT NULL DEFAULT 10 CHECK (seat_limit >= 0);

CREATE TABLE enrollment_tokens (
    company_id   uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id           uuid NOT NULL,
    name         text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 80),
    token_hash   bytea NOT NULL UNIQUE,
    user_id      uuid,
    expires_at   timestamptz NOT NULL,
    max_uses     integer NOT NULL CHECK (max_uses > 0),
    uses         integer NOT NULL DEFAULT 0 CHECK (uses >= 0),
    created_by   uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);

-- One row per enrolled computer. The credential is 32 random bytes; only its SHA-256
-- is kept, and looked up directly.
CREATE TABLE agents (
    company_id      uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id              uuid NOT NULL,
    user_id         uuid NOT NULL,
    hostname        text NOT NULL CHECK (char_length(hostname) BETWEEN 1 AND 255),
    os              text NOT NULL CHECK (char_length(os) BETWEEN 1 AND 255),
    agent_version   text NOT NULL CHECK (char_length(agent_version) BETWEEN 1 AND 255),
    secret_hash     bytea NOT NULL UNIQUE,
    enrolled_with   uuid,
    enrolled_at     timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz,
    last_state      text CHECK (last_state IN ('active', 'idle', 'locked', 'paused')),
    -- What the presence job last decided; a change is a transition, alerted once.
    presence        text NOT NULL DEFAULT 'offline'
                    CHECK (presence IN ('online', 'offline', 'missing')),
    revoked_at      timestamptz,
    PRIMARY KEY (company_id, id),
    UNIQUE (id),
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);
CREATE INDEX agents_company_user ON agents (company_id, user_id);
