-- An open invitation is one company's business: a new one replaces that company's open
-- invitation of the address, never another company's.
DROP INDEX invitations_open_email;
CREATE UNIQUE INDEX invitations_open_email ON invitations (company_id, email)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;
