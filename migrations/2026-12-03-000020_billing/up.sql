-- The plans a company can be on. Seeded here; `PULSE_PLANS` may override prices, seat
-- limits, features and Stripe price ids at start (the ids and names stay).
CREATE TABLE plans (
    id                   text PRIMARY KEY CHECK (id IN ('free', 'pro', 'enterprise')),
    name                 text NOT NULL,
    position             integer NOT NULL UNIQUE,
    monthly_price_cents  integer NOT NULL CHECK (monthly_price_cents >= 0),
    currency             text NOT NULL DEFAULT 'usd',
    -- NULL: no limit.
    seat_limit           integer CHECK (seat_limit IS NULL OR seat_limit >= 0),
    features             jsonb NOT NULL,
    stripe_price_id      text
);

INSERT INTO plans (id, name, position, monthly_price_cents, seat_limit, features) VALUES
    ('free', 'Free', 1, 0, 5,
     '{"screenshots": true, "webhooks": false, "api_keys": false, "reports_export": false, "retention_days": 30, "sso": false}'),
    ('pro', 'Pro', 2, 2900, 50,
     '{"screenshots": true, "webhooks": true, "api_keys": true, "reports_export": true, "retention_days": 365, "sso": false}'),
    ('enterprise', 'Enterprise', 3, 9900, NULL,
     '{"screenshots": true, "webhooks": true, "api_keys": true, "reports_export": true, "retention_days": 1825, "sso": true}');

-- Every Stripe event received, once: the id is the key, so a redelivered event is
-- recognised and changes nothing. Not a company's row: an event names its customer,
-- and the company is found from that when it is applied.
CREATE TABLE stripe_events (
    id           text PRIMARY KEY,
    type         text NOT NULL,
    -- Stripe's `created`: events are applied by the time of their object, not of arrival.
    created_at   timestamptz NOT NULL,
    received_at  timestamptz NOT NULL,
    payload      jsonb NOT NULL
);

CREATE INDEX stripe_events_received ON stripe_events (received_at);
