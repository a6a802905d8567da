-- Monitoring policies: one company default (team_id and user_id both null), at most one
-- override per team and per employee. `settings` holds the JSON of
-- `pulse_shared::policies::PolicySettings` (default) or `PolicyOverride` (overrides),
-- checked by the server before it is written.
CREATE TABLE policies (
    company_id  uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id          uuid NOT NULL,
    team_id     uuid,
    user_id     uuid,
    settings    jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    CHECK (team_id IS NULL OR user_id IS NULL),
    FOREIGN KEY (company_id, team_id) REFERENCES teams (company_id, id) ON DELETE CASCADE,
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX policies_company_default ON policies (company_id)
    WHERE team_id IS NULL AND user_id IS NULL;
CREATE UNIQUE INDEX policies_team ON policies (company_id, team_id) WHERE team_id IS NOT NULL;
CREATE UNIQUE INDEX policies_user ON policies (company_id, user_id) WHERE user_id IS NOT NULL;
