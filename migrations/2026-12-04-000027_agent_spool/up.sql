-- What waits in each agent's spool, as its latest heartbeat said (so as of
-- `last_seen_at`). Written by the heartbeat flush with `last_seen_at`, never per
-- heartbeat. NULL while the latest heartbeat carried no report: before the first one,
-- and for agents that keep no spool (the simulator).
ALTER TABLE agents
    ADD COLUMN spool_pending      integer CHECK (spool_pending >= 0),
    ADD COLUMN spool_dropped      bigint CHECK (spool_dropped >= 0),
    ADD COLUMN spool_dead_letters integer CHECK (spool_dead_letters >= 0),
    ADD CONSTRAINT agents_spool_whole CHECK (
        (spool_pending IS NULL) = (spool_dropped IS NULL)
        AND (spool_pending IS NULL) = (spool_dead_letters IS NULL)
    );
