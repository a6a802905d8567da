-- Alerts, delivered per recipient; live stream tickets; notification preferences;
-- outbound webhooks with their delivery log.

CREATE TABLE alerts (
    company_id   uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id           uuid NOT NULL,
    kind         text NOT NULL CHECK (char_length(kind) BETWEEN 1 AND 40),
    severity     text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    title        text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    body         text NOT NULL CHECK (char_length(body) <= 2000),
    agent_id     uuid,
    user_id      uuid,
    invoice_id   text CHECK (char_length(invoice_id) <= 100),
    policy_id    uuid,
    -- Set for conditions (an agent is offline): at most one open alert per key.
    open_key     text,
    resolved_at  timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id)
);
CREATE UNIQUE INDEX alerts_open_condition ON alerts (company_id, open_key)
    WHERE open_key IS NOT NULL AND resolved_at IS NULL;

-- One row per person an alert reaches. `seq` orders a person's alerts and is the SSE
-- event id they resume from. The email columns make the row its own outbox entry:
-- written with the alert, sent after the commit by whichever replica claims it.
CREATE TABLE alert_recipients (
    seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id      uuid NOT NULL,
    alert_id        uuid NOT NULL,
    user_id         uuid NOT NULL,
    in_app          boolean NOT NULL,
    read_at         timestamptz,
    email_status    text CHECK (email_status IN ('pending', 'sent', 'failed')),
    email_attempts  integer NOT NULL DEFAULT 0,
    email_next_at   timestamptz,
    UNIQUE (company_id, user_id, alert_id),
    FOREIGN KEY (company_id, alert_id) REFERENCES alerts (company_id, id) ON DELETE CASCADE,
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);
CREATE INDEX alert_recipients_inbox ON alert_recipients (company_id, user_id, seq DESC)
    WHERE in_app;
CREATE INDEX alert_recipients_unread ON alert_recipients (company_id, user_id)
    WHERE in_app AND read_at IS NULL;
CREATE INDEX alert_recipients_email_due ON alert_recipients (email_next_at)
    WHERE email_status = 'pending';

-- Which kinds reach a person, and how; no row means the kind's default.
CREATE TABLE alert_preferences (
    company_id  uuid NOT NULL,
    user_id     uuid NOT NULL,
    kind        text NOT NULL CHECK (char_length(kind) BETWEEN 1 AND 40),
    in_app      boolean NOT NULL,
    email       boolean NOT NULL,
    PRIMARY KEY (company_id, user_id, kind),
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);

-- Single-use credentials for opening an alert stream from a browser (EventSource
-- cannot send an Authorization header). Stored hashed, valid for a minute.
CREATE TABLE stream_tickets (
    token_hash  bytea PRIMARY KEY,
    company_id  uuid NOT NULL,
    user_id     uuid NOT NULL,
    expires_at  timestamptz NOT NULL,
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);
CREATE INDEX stream_tickets_expiry ON stream_tickets (expires_at);

CREATE TABLE webhook_endpoints (
    company_id   uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id           uuid NOT NULL,
    url          text NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2048),
    description  text NOT NULL DEFAULT '' CHECK (char_length(description) <= 200),
    -- The HMAC key. Needed in clear to sign; never returned after creation.
    secret       text NOT NULL,
    kinds        text[] NOT NULL,
    enabled      boolean NOT NULL DEFAULT true,
    created_by   uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    UNIQUE (id)
);
CREATE TRIGGER webhook_endpoints_touch BEFORE UPDATE ON webhook_endpoints
    FOR EACH ROW EXECUTE FUNCTION pulse_touch_updated_at();

-- The outbox and the log in one: a row is written in the transaction that raises the
-- event, and dispatchers on any replica claim due rows with SKIP LOCKED.
CREATE TABLE webhook_deliveries (
    company_id        uuid NOT NULL,
    id                uuid NOT NULL,
    endpoint_id       uuid NOT NULL,
    event_id          uuid NOT NULL,
    event_type        text NOT NULL CHECK (char_length(event_type) BETWEEN 1 AND 60),
    payload           jsonb NOT NULL,
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts          integer NOT NULL DEFAULT 0,
    -- When a pending delivery is next due. A dispatcher that claims the row moves it
    -- a lease into the future, so a crashed dispatcher's claim lapses by itself.
    next_attempt_at   timestamptz,
    give_up_at        timestamptz NOT NULL,
    delivered_at      timestamptz,
    last_status_code  integer,
    last_latency_ms   integer,
    last_error        text,
    replay_of         uuid,
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, endpoint_id) REFERENCES webhook_endpoints (company_id, id)
        ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (company_id, endpoint_id, id DESC);
-- For deleting finished deliveries once they are old.
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (created_at)
    WHERE status <> 'pending';

CREATE TABLE webhook_attempts (
    company_id    uuid NOT NULL,
    delivery_id   uuid NOT NULL,
    number        integer NOT NULL CHECK (number > 0),
    attempted_at  timestamptz NOT NULL,
    status_code   integer,
    latency_ms    integer NOT NULL,
    error         text,
    PRIMARY KEY (company_id, delivery_id, number),
    FOREIGN KEY (company_id, delivery_id) REFERENCES webhook_deliveries (company_id, id)
        ON DELETE CASCADE
);
