-- Activity events partitioned by the month they started (UTC), so retention drops a
-- whole month once no one's policy keeps it any more, and trims only the months still
-- kept. `worker::partitions` creates months ahead of time; a default partition takes
-- anything outside them until the job gives it a month of its own.

ALTER TABLE activity_events RENAME TO activity_events_unpartitioned;
ALTER INDEX activity_events_pkey RENAME TO activity_events_unpartitioned_pkey;
ALTER INDEX activity_events_user_time RENAME TO activity_events_unpartitioned_user_time;

-- The key takes the start in: a partitioned table's keys include its partition key.
-- An agent re-sending an event sends the same start, so a re-sent batch still inserts
-- nothing.
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
    PRIMARY KEY (company_id, agent_id, id, started_at),
    FOREIGN KEY (company_id, agent_id) REFERENCES agents (company_id, id) ON DELETE CASCADE
) PARTITION BY RANGE (started_at);
CREATE INDEX activity_events_user_time ON activity_events (company_id, user_id, started_at);
CREATE TABLE activity_events_default PARTITION OF activity_events DEFAULT;

-- A month for every month with events, up to two months ahead.
DO $$
DECLARE
    month date;
BEGIN
    FOR month IN
        SELECT generate_series(
                   date_trunc('month', coalesce((SELECT min(started_at)
                                                   FROM activity_events_unpartitioned),
                                                now()) AT TIME ZONE 'UTC'),
                   date_trunc('month', (now() AT TIME ZONE 'UTC') + interval '2 months'),
                   interval '1 month')::date
    LOOP
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF activity_events FOR VALUES FROM (%L) TO (%L)',
            'activity_events_' || to_char(month, 'YYYY_MM'),
            month::timestamp AT TIME ZONE 'UTC',
            (month + interval '1 month')::timestamp AT TIME ZONE 'UTC');
    END LOOP;
END $$;

INSERT INTO activity_events SELECT * FROM activity_events_unpartitioned;
DROP TABLE activity_events_unpartitioned;

-- The session builder finds each queued event by its whole key, so a lookup touches
-- one month. Batches already queued get their events' starts (an event gone since
-- gets one that matches nothing, as its id already did).
ALTER TABLE session_queue ADD COLUMN event_starts timestamptz[];
UPDATE session_queue q
   SET event_starts = (SELECT array_agg(coalesce(e.started_at, '-infinity') ORDER BY u.ord)
                         FROM unnest(q.event_ids) WITH ORDINALITY AS u(id, ord)
                         LEFT JOIN activity_events e
                                ON e.company_id = q.company_id AND e.agent_id = q.agent_id
                               AND e.id = u.id);
ALTER TABLE session_queue ALTER COLUMN event_starts SET NOT NULL;
