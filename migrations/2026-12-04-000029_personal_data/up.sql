-- A person's data, theirs to take away (exports) and to have erased (pseudonymised
-- audit events). GDPR articles 15, 17 and 20.

-- One export of one person's data: asked for by them (or an owner or admin), built in
-- the background into one ZIP in the object store, downloadable until it expires.
CREATE TABLE data_exports (
    company_id    uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id            uuid NOT NULL,
    user_id       uuid NOT NULL,
    -- Who asked: the person or an owner or admin (no foreign key: an export outlives
    -- its requester's account; erasure clears it).
    requested_by  uuid,
    status        text NOT NULL CHECK (status IN ('queued', 'running', 'ready', 'failed')),
    progress      smallint NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    object_key    text,
    size_bytes    bigint,
    error         text CHECK (char_length(error) <= 500),
    -- A running build's claim; a replica that dies mid-build lets it lapse.
    lease_until   timestamptz,
    created_at    timestamptz NOT NULL,
    finished_at   timestamptz,
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (company_id, id),
    UNIQUE (id),
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);
-- One export in the making per person at a time.
CREATE UNIQUE INDEX data_exports_one_open ON data_exports (company_id, user_id)
    WHERE status IN ('queued', 'running');
CREATE INDEX data_exports_person ON data_exports (company_id, user_id, created_at DESC);
CREATE INDEX data_exports_open ON data_exports (created_at) WHERE status IN ('queued', 'running');
CREATE INDEX data_exports_expiry ON data_exports (expires_at);

-- An export's archive leaves the store through the deletion queue, like screenshots:
-- on expiry, or when the person (or the company) goes.
CREATE FUNCTION data_exports_queue_object() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.object_key IS NOT NULL THEN
        INSERT INTO object_deletions (company_id, key, due_at)
        VALUES (OLD.company_id, OLD.object_key, now())
        ON CONFLICT (company_id, key) DO UPDATE SET due_at = excluded.due_at;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER data_exports_queue_object AFTER DELETE ON data_exports
    FOR EACH ROW EXECUTE FUNCTION data_exports_queue_object();

-- The audit chain, second form. An event written from now on hashes a digest of its
-- personal fields (summary, IP address, user agent) instead of the fields themselves:
-- personal_digest = SHA-256(personal_salt ‖ those fields), and the chain covers the
-- digest. Erasure replaces the fields and drops the salt, keeping the digest, so the
-- chain still verifies and the old values cannot be guessed back from the digest.
-- Events written before this migration have no digest and keep the first form (their
-- hash covers the fields themselves), so every chain verifies as it did.
ALTER TABLE audit_events ADD COLUMN personal_digest bytea, ADD COLUMN personal_salt bytea;

-- Which events were pseudonymised, and by which erasure. A first-form event keeps only
-- its links to its neighbours once pseudonymised; this list is how the verifier knows
-- it was erasure, not tampering, that changed it. No foreign key to the events: it
-- would make `TRUNCATE audit_events` fail before the append-only trigger says why.
CREATE TABLE audit_pseudonymised (
    company_id        uuid NOT NULL REFERENCES companies (id) ON DELETE RESTRICT,
    seq               bigint NOT NULL,
    erased_user_id    uuid NOT NULL,
    pseudonymised_at  timestamptz NOT NULL,
    PRIMARY KEY (company_id, seq)
);

-- Events stay append-only, but for one change: erasure may replace the personal fields
-- of an event (and drop its salt) within a transaction that says so, leaving every
-- field the chain hashes as it was.
CREATE OR REPLACE FUNCTION pulse_audit_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND current_setting('pulse.audit_pseudonymise', true) = 'on'
       AND NEW.company_id = OLD.company_id AND NEW.seq = OLD.seq AND NEW.id = OLD.id
       AND NEW.occurred_at = OLD.occurred_at AND NEW.actor_kind = OLD.actor_kind
       AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id AND NEW.action = OLD.action
       AND NEW.target_kind = OLD.target_kind
       AND NEW.target_id IS NOT DISTINCT FROM OLD.target_id
       AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash
       AND NEW.personal_digest IS NOT DISTINCT FROM OLD.personal_digest
       AND NEW.personal_salt IS NULL THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

-- Both new tables are a company's: behind the wall, with the roles' grants.
SELECT pulse_protect('data_exports');
SELECT pulse_protect('audit_pseudonymised');
SELECT pulse_roles();
