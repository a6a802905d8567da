-- Enterprise has no seat limit: NULL on the company, as on the plan.
ALTER TABLE companies ALTER COLUMN seat_limit DROP NOT NULL;

-- A company's paid subscription, as Stripe last told us (one at a time: a company that
-- subscribes again after canceling replaces the row). Free has none.
CREATE TABLE subscriptions (
    company_id              uuid PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    stripe_subscription_id  text NOT NULL UNIQUE,
    -- The subscription item whose plan a change replaces.
    stripe_item_id          text NOT NULL,
    plan_id                 text NOT NULL REFERENCES plans (id),
    status                  text NOT NULL CHECK (status IN ('incomplete', 'incomplete_expired',
                                'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused')),
    cancel_at_period_end    boolean NOT NULL DEFAULT false,
    current_period_start    timestamptz NOT NULL,
    current_period_end      timestamptz NOT NULL,
    -- Since when money has been owed; the grace period counts from here.
    unpaid_since            timestamptz,
    -- The period end the "subscription expiring" alert was raised for.
    expiring_alerted_for    timestamptz,
    -- How recent the state stored is (the event's `created`, or when it was read back
    -- from Stripe): an older event never overwrites it.
    synced_at               timestamptz NOT NULL
);

-- The card invoices are charged to.
CREATE TABLE payment_cards (
    company_id                uuid PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    stripe_payment_method_id  text NOT NULL,
    brand                     text NOT NULL,
    last4                     text NOT NULL,
    exp_month                 integer NOT NULL,
    exp_year                  integer NOT NULL,
    updated_at                timestamptz NOT NULL
);

-- Invoices, kept from Stripe's answers and events.
CREATE TABLE invoices (
    company_id          uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id                  text NOT NULL UNIQUE,
    number              text,
    status              text NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'void', 'uncollectible')),
    total_cents         bigint NOT NULL,
    amount_due_cents    bigint NOT NULL,
    amount_paid_cents   bigint NOT NULL,
    currency            text NOT NULL,
    period_start        timestamptz NOT NULL,
    period_end          timestamptz NOT NULL,
    created_at          timestamptz NOT NULL,
    hosted_invoice_url  text,
    invoice_pdf         text,
    payment_error       text,
    synced_at           timestamptz NOT NULL,
    PRIMARY KEY (company_id, id)
);

CREATE INDEX invoices_newest ON invoices (company_id, created_at DESC, id DESC);
