-- Scheduled report e-mails: who asked for them, and each one as its own outbox entry.

-- A person's choice: a daily or a weekly summary of the people they may see.
CREATE TABLE report_subscriptions (
    company_id  uuid NOT NULL,
    user_id     uuid NOT NULL,
    frequency   text NOT NULL CHECK (frequency IN ('daily', 'weekly')),
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (company_id, user_id),
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);

-- One summary owed to one person for one period, queued by the scheduler (once: the
-- key) and sent by the outbox dispatcher, which builds it when it sends.
CREATE TABLE report_emails (
    company_id   uuid NOT NULL,
    user_id      uuid NOT NULL,
    frequency    text NOT NULL CHECK (frequency IN ('daily', 'weekly')),
    period_from  date NOT NULL,
    period_to    date NOT NULL CHECK (period_to >= period_from),
    time_zone    text NOT NULL,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts     integer NOT NULL DEFAULT 0,
    next_at      timestamptz NOT NULL,
    sent_at      timestamptz,
    PRIMARY KEY (company_id, user_id, frequency, period_from),
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);
CREATE INDEX report_emails_due ON report_emails (next_at) WHERE status = 'pending';
