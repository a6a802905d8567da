-- A fleet alert ("1,234 computers went offline") stands for many computers at once:
-- how many on the alert itself, and which in `alert_agents`, one row per computer.
ALTER TABLE alerts ADD COLUMN agent_count integer CHECK (agent_count > 0);

CREATE TABLE alert_agents (
    company_id      uuid NOT NULL,
    alert_id        uuid NOT NULL,
    agent_id        uuid NOT NULL,
    -- When the computer reported again after the alert; NULL while it has not. A
    -- "fleet offline" alert is open while one of its computers has not.
    back_online_at  timestamptz,
    PRIMARY KEY (company_id, alert_id, agent_id),
    FOREIGN KEY (company_id, alert_id) REFERENCES alerts (company_id, id) ON DELETE CASCADE,
    FOREIGN KEY (company_id, agent_id) REFERENCES agents (company_id, id) ON DELETE CASCADE
);
-- The computers still away, found when one reports again.
CREATE INDEX alert_agents_away ON alert_agents (company_id, agent_id)
    WHERE back_online_at IS NULL;

SELECT pulse_protect('alert_agents');
SELECT pulse_roles();
