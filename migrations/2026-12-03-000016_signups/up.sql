-- Sign-ups waiting for their address to be proven: the link by e-mail carries a random
-- token, stored hashed. Nothing is created, and the address stays free, until the link
-- is opened; unopened sign-ups expire after a day and are purged.
CREATE TABLE signups (
    token_hash     bytea PRIMARY KEY,
    email          text NOT NULL,
    name           text NOT NULL,
    company_name   text NOT NULL,
    password_hash  text NOT NULL,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL
);
CREATE INDEX signups_email ON signups (email);
CREATE INDEX signups_expires ON signups (expires_at);
