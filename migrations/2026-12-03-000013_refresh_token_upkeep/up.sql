-- A sign-in (a family of refresh tokens) ends at the latest MAX_FAMILY_DAYS after it
-- began, however often it is refreshed: each token carries when its family began.
ALTER TABLE refresh_tokens ADD COLUMN family_started_at timestamptz;
UPDATE refresh_tokens t
   SET family_started_at = f.started
  FROM (SELECT company_id, family_id, min(created_at) AS started
          FROM refresh_tokens GROUP BY company_id, family_id) f
 WHERE f.company_id = t.company_id AND f.family_id = t.family_id;
ALTER TABLE refresh_tokens ALTER COLUMN family_started_at SET NOT NULL;

-- Signing a person out everywhere (password change, deactivation) finds their tokens.
CREATE INDEX refresh_tokens_user ON refresh_tokens (company_id, user_id);
-- The purge of expired and revoked tokens.
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);
