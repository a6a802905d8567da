DROP INDEX refresh_tokens_expires;
DROP INDEX refresh_tokens_user;
ALTER TABLE refresh_tokens DROP COLUMN family_started_at;
