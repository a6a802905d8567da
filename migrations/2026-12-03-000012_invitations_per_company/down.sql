DROP INDEX invitations_open_email;
CREATE UNIQUE INDEX invitations_open_email ON invitations (email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;
