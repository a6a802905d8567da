-- Each company is on a plan (Free until it pays), has an address its invoices go to,
-- and, once billing first needs one, a Stripe customer.
ALTER TABLE companies ADD COLUMN plan_id text NOT NULL DEFAULT 'free' REFERENCES plans (id);
ALTER TABLE companies ADD COLUMN billing_email text;
ALTER TABLE companies ADD COLUMN stripe_customer_id text UNIQUE;
-- New companies start with Free's seats. Companies made before plans existed keep the
-- limit they had until they choose a plan.
ALTER TABLE companies ALTER COLUMN seat_limit SET DEFAULT 5;
