-- A lowered retention takes effect only after a grace period: until `until`, the
-- retention jobs keep a person's data for at least `days` (what applied before the
-- change), so a mistaken change can be undone before anything is deleted.
CREATE TABLE retention_holds (
    company_id  uuid NOT NULL,
    user_id     uuid NOT NULL,
    setting     text NOT NULL
                CHECK (setting IN ('activity_retention_days', 'screenshot_retention_days')),
    days        integer NOT NULL CHECK (days > 0),
    until       timestamptz NOT NULL,
    PRIMARY KEY (company_id, user_id, setting),
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);
CREATE INDEX retention_holds_until ON retention_holds (until);
