-- Rate-limit counters every replica shares: a fixed window of hits per key. The key is
-- the SHA-256 of the limit's name and what it counts (an address, an account, a
-- person), so no address or e-mail is stored. Not tenant data: a key may span tenants.
CREATE TABLE rate_limits (
    key           bytea PRIMARY KEY,
    window_start  timestamptz NOT NULL,
    hits          integer NOT NULL
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);
