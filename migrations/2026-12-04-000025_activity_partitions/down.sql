ALTER TABLE session_queue DROP COLUMN event_starts;

CREATE TABLE activity_events_unpartitioned (LIKE activity_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
INSERT INTO activity_events_unpartitioned SELECT * FROM activity_events;
DROP TABLE activity_events;
ALTER TABLE activity_events_unpartitioned RENAME TO activity_events;
ALTER TABLE activity_events ADD PRIMARY KEY (company_id, agent_id, id);
ALTER TABLE activity_events ADD FOREIGN KEY (company_id, agent_id)
    REFERENCES agents (company_id, id) ON DELETE CASCADE;
CREATE INDEX activity_events_user_time ON activity_events (company_id, user_id, started_at);
