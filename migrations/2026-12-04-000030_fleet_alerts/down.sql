DROP TABLE alert_agents;
ALTER TABLE alerts DROP COLUMN agent_count;
