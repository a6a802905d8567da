-- Password resets: a link by e-mail carries a random token, stored hashed; it works
-- once, for 30 minutes.
CREATE TABLE password_resets (
    token_hash  bytea PRIMARY KEY,
    company_id  uuid NOT NULL,
    user_id     uuid NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);
CREATE INDEX password_resets_user ON password_resets (company_id, user_id);
CREATE INDEX password_resets_expires ON password_resets (expires_at);
