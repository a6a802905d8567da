-- Every replica caches who holds a device credential and each employee's effective
-- policy. Whatever changes them announces the company on `pulse_agent_facts` (delivered
-- on commit; repeated payloads in one transaction are sent once), so no code path can
-- forget to.
CREATE FUNCTION notify_agent_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('pulse_agent_facts',
                      (CASE WHEN TG_OP = 'DELETE' THEN OLD.company_id ELSE NEW.company_id END)::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER agents_facts AFTER UPDATE OF revoked_at, user_id OR DELETE ON agents
    FOR EACH ROW EXECUTE FUNCTION notify_agent_facts();
CREATE TRIGGER users_facts AFTER UPDATE OF status, team_id OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION notify_agent_facts();
CREATE TRIGGER policies_facts AFTER INSERT OR UPDATE OR DELETE ON policies
    FOR EACH ROW EXECUTE FUNCTION notify_agent_facts();
