ALTER TABLE companies ALTER COLUMN seat_limit SET DEFAULT 10;
ALTER TABLE companies DROP COLUMN stripe_customer_id;
ALTER TABLE companies DROP COLUMN billing_email;
ALTER TABLE companies DROP COLUMN plan_id;
