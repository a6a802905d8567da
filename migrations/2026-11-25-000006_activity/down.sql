DROP TABLE work_sessions;
DROP TABLE activity_events;
