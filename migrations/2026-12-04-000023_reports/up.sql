-- Reports: the applications and sites each company's agents reported (once each), the
-- rules that classify them, and the rollups reports read instead of raw events.

-- Every application (with, for browsers, the site's domain) a company's agents
-- reported. Rollups name these by id; classification runs over this dictionary, never
-- over events, so a changed rule changes past reports at once.
CREATE TABLE activity_subjects (
    company_id  uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    app         text NOT NULL CHECK (char_length(app) BETWEEN 1 AND 200),
    -- '' when no site was recorded.
    domain      text NOT NULL DEFAULT '' CHECK (char_length(domain) <= 253),
    PRIMARY KEY (company_id, id),
    UNIQUE (company_id, app, domain)
);

-- How time in an application or site counts: for a person, a team, or (both NULL) the
-- whole company.
CREATE TABLE category_rules (
    company_id   uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id           uuid NOT NULL,
    field        text NOT NULL CHECK (field IN ('app', 'domain')),
    match_kind   text NOT NULL CHECK (match_kind IN ('exact', 'wildcard', 'regex')),
    pattern      text NOT NULL CHECK (char_length(pattern) BETWEEN 1 AND 200),
    productivity text NOT NULL CHECK (productivity IN ('productive', 'neutral', 'unproductive')),
    category     text NOT NULL CHECK (char_length(category) BETWEEN 1 AND 60),
    team_id      uuid,
    user_id      uuid,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, team_id) REFERENCES teams (company_id, id) ON DELETE CASCADE,
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE,
    CHECK (team_id IS NULL OR user_id IS NULL)
);

-- One person's hour (UTC): the seconds their computers reported active, and idle but
-- not active. Each second counts once however many computers reported it: the bitmaps
-- hold which seconds (450 bytes each) until the hour is closed, then go (NULL) and a
-- batch arriving later only adds, up to the hour.
CREATE TABLE activity_hours (
    company_id   uuid NOT NULL,
    user_id      uuid NOT NULL,
    hour         timestamptz NOT NULL CHECK (date_trunc('hour', hour) = hour),
    active_secs  integer NOT NULL CHECK (active_secs BETWEEN 0 AND 3600),
    idle_secs    integer NOT NULL CHECK (idle_secs >= 0 AND active_secs + idle_secs <= 3600),
    keystrokes   bigint NOT NULL CHECK (keystrokes >= 0),
    mouse_events bigint NOT NULL CHECK (mouse_events >= 0),
    active_bits  bytea CHECK (octet_length(active_bits) = 450),
    idle_bits    bytea CHECK (octet_length(idle_bits) = 450),
    PRIMARY KEY (company_id, user_id, hour),
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);
-- The hours whose bitmaps the rollup job still has to drop.
CREATE INDEX activity_hours_open ON activity_hours (hour) WHERE active_bits IS NOT NULL;

-- Active seconds of a person's hour per application or site; they add up to the hour's
-- `active_secs`.
CREATE TABLE activity_hour_subjects (
    company_id   uuid NOT NULL,
    user_id      uuid NOT NULL,
    hour         timestamptz NOT NULL,
    subject_id   bigint NOT NULL,
    active_secs  integer NOT NULL CHECK (active_secs BETWEEN 0 AND 3600),
    PRIMARY KEY (company_id, user_id, hour, subject_id),
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);

-- A person's day in their own time zone (their policy's when the activity arrived):
-- attendance, and reports over long ranges.
CREATE TABLE activity_days (
    company_id   uuid NOT NULL,
    user_id      uuid NOT NULL,
    day          date NOT NULL,
    -- The first and last second with input; NULL for a day with idle time only.
    first_at     timestamptz,
    last_at      timestamptz,
    active_secs  integer NOT NULL CHECK (active_secs BETWEEN 0 AND 90000),
    idle_secs    integer NOT NULL CHECK (idle_secs BETWEEN 0 AND 90000),
    keystrokes   bigint NOT NULL CHECK (keystrokes >= 0),
    mouse_events bigint NOT NULL CHECK (mouse_events >= 0),
    PRIMARY KEY (company_id, user_id, day),
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);

CREATE TABLE activity_day_subjects (
    company_id   uuid NOT NULL,
    user_id      uuid NOT NULL,
    day          date NOT NULL,
    subject_id   bigint NOT NULL,
    active_secs  integer NOT NULL CHECK (active_secs BETWEEN 0 AND 90000),
    PRIMARY KEY (company_id, user_id, day, subject_id),
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);

-- The person's time zone when the batch arrived, for their day rows.
ALTER TABLE session_queue ADD COLUMN time_zone text NOT NULL DEFAULT 'UTC';
