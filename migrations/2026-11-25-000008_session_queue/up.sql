-- Batches whose events are stored but not yet folded into work sessions. Written by
-- the same statement that stores the events, so a batch is either stored and queued or
-- neither; the session builder (one replica at a time) drains it in bulk.
CREATE TABLE session_queue (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id      uuid NOT NULL,
    agent_id        uuid NOT NULL,
    user_id         uuid NOT NULL,
    -- The events this batch stored (only new ones: a re-sent batch queues nothing).
    event_ids       uuid[] NOT NULL,
    -- The employee's idle threshold when the batch arrived.
    idle_gap_secs   integer NOT NULL CHECK (idle_gap_secs > 0),
    queued_at       timestamptz NOT NULL DEFAULT now()
);
