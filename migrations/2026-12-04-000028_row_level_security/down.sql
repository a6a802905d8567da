DO $$
DECLARE
    protected regclass;
BEGIN
    FOR protected IN
        SELECT DISTINCT p.polrelid::regclass FROM pg_policy p WHERE p.polname = 'tenant'
    LOOP
        EXECUTE format('DROP POLICY tenant ON %s', protected);
        EXECUTE format('DROP POLICY system ON %s', protected);
        EXECUTE format('DROP POLICY migrations ON %s', protected);
        EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', protected);
        EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', protected);
    END LOOP;
END $$;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM pulse_app, pulse_system;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM pulse_app, pulse_system;
DROP FUNCTION pulse_protect(regclass, name);
DROP FUNCTION pulse_company();
DROP FUNCTION pulse_roles();
-- The roles stay: they belong to the cluster, and other databases may use them.
