DROP TABLE stripe_events;
DROP TABLE plans;
