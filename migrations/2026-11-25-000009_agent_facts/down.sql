DROP TRIGGER policies_facts ON policies;
DROP TRIGGER users_facts ON users;
DROP TRIGGER agents_facts ON agents;
DROP FUNCTION notify_agent_facts();
