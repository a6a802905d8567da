DROP TABLE agents;
DROP TABLE enrollment_tokens;
ALTER TABLE companies DROP COLUMN seat_limit;
