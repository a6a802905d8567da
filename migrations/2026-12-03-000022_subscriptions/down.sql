DROP TABLE invoices;
DROP TABLE payment_cards;
DROP TABLE subscriptions;
UPDATE companies SET seat_limit = 2147483647 WHERE seat_limit IS NULL;
ALTER TABLE companies ALTER COLUMN seat_limit SET NOT NULL;
