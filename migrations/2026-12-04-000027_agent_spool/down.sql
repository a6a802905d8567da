ALTER TABLE agents
    DROP CONSTRAINT agents_spool_whole,
    DROP COLUMN spool_dead_letters,
    DROP COLUMN spool_dropped,
    DROP COLUMN spool_pending;
