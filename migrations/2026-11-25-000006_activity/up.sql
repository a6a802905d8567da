-- What agents report, and the work sessions built from it.

-- One row per event. The id is made by the agent, so a re-sent batch inserts nothing
-- (`ON CONFLICT DO NOTHING`); ids are unique per agent, so one agent cannot collide with
-- another's events.
CREATE TABLE activity_events (
    company_id      uuid NOT NULL,
    agent_id        uuid NOT NULL,
    id              uuid NOT NULL,
    user_id         uuid NOT NULL,
    app             text NOT NULL CHECK (char_length(app) BETWEEN 1 AND 200),
    title           text CHECK (char_length(title) <= 1000),
    url             text CHECK (char_length(url) <= 2048),
    started_at      timestamptz NOT NULL,
    duration_secs   integer NOT NULL CHECK (duration_secs BETWEEN 1 AND 3600),
    keystrokes      integer NOT NULL CHECK (keystrokes >= 0),
    mouse_events    integer NOT NULL CHECK (mouse_events >= 0),
    active_secs     integer NOT NULL CHECK (active_secs BETWEEN 0 AND duration_secs),
    idle            boolean NOT NULL,
    received_at     timestamptz NOT NULL,
    PRIMARY KEY (company_id, agent_id, id),
    FOREIGN KEY (company_id, agent_id) REFERENCES agents (company_id, id) ON DELETE CASCADE
);
-- An employee's day, and retention by age.
CREATE INDEX activity_events_user_time ON activity_events (company_id, user_id, started_at);

-- Activity of one employee joined while the gaps stay under the idle threshold.
-- Derived from `activity_events` as batches arrive.
CREATE TABLE work_sessions (
    company_id      uuid NOT NULL,
    id              uuid NOT NULL,
    user_id         uuid NOT NULL,
    started_at      timestamptz NOT NULL,
    ended_at        timestamptz NOT NULL CHECK (ended_at >= started_at),
    active_secs     bigint NOT NULL CHECK (active_secs >= 0),
    idle_secs       bigint NOT NULL CHECK (idle_secs >= 0),
    keystrokes      bigint NOT NULL CHECK (keystrokes >= 0),
    mouse_events    bigint NOT NULL CHECK (mouse_events >= 0),
    -- Active seconds per application: {"code": 1200, "firefox": 300}.
    app_secs        jsonb NOT NULL DEFAULT '{}',
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);
CREATE INDEX work_sessions_user_end ON work_sessions (company_id, user_id, ended_at);
