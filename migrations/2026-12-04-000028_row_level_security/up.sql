-- Row-level security: the second wall between companies.
--
-- The server answers requests as `pulse_app`, which sees and writes only the rows of
-- the company its session names (`pulse.company_id`, set from the authenticated
-- principal when a connection is lent out). Work that is across companies by nature
-- (the background jobs, and finding the company a credential belongs to before anyone
-- is known) runs as `pulse_system`. The role that runs the migrations owns the tables
-- and keeps a policy of its own, so that a data migration sees every row; `FORCE`
-- makes the owner obey the policies too, so no other owner-run query reads across
-- companies unawares.

-- The roles and what they may touch, (re)made by one function: this migration calls
-- it, and so does `pulse restore` (a restore leaves grants out, and the target cluster
-- may not have the roles yet). Roles belong to the whole cluster, so they are made
-- once and kept when a database is dropped; two databases migrating at once may race
-- to make them. Partitions get no grants: they are reached through their table, whose
-- policies apply.
CREATE FUNCTION pulse_roles() RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    role_name text;
    granted regclass;
BEGIN
    FOREACH role_name IN ARRAY ARRAY['pulse_app', 'pulse_system'] LOOP
        BEGIN
            EXECUTE format(
                'CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS',
                role_name);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END LOOP;
    FOR granted IN
        SELECT c.oid::regclass
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public'
          AND c.relkind IN ('r', 'p')
          AND NOT c.relispartition
          AND c.relname NOT IN ('plans', 'signups', 'stripe_events',
                                '__diesel_schema_migrations')
    LOOP
        EXECUTE format(
            'GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO pulse_app, pulse_system', granted);
    END LOOP;
    -- Tables of no company. The plans are the price list. Sign-ups waiting for their
    -- e-mail and Stripe's events are read only before a company exists or is known,
    -- so only `pulse_system` reaches them. Rate limits (granted above) are counted
    -- before anyone is known; their keys are hashes.
    GRANT SELECT ON plans, __diesel_schema_migrations TO pulse_app, pulse_system;
    GRANT INSERT, UPDATE, DELETE ON plans TO pulse_system;
    GRANT SELECT, INSERT, UPDATE, DELETE ON signups, stripe_events TO pulse_system;
    GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO pulse_app, pulse_system;
    -- A restored schema has lost the default grant to everyone.
    GRANT USAGE ON SCHEMA public TO pulse_app, pulse_system;
END $$;

-- The company the session acts for, or NULL (no rows) when none is set.
CREATE FUNCTION pulse_company() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('pulse.company_id', true), '')::uuid $$;

-- Puts a table behind the wall, `column` naming its company: the one way a tenant
-- table is protected, called below for every existing one and by later migrations for
-- each new one (then `pulse_roles()` again for the grants). A test fails on a table
-- with a `company_id` and no policy.
CREATE FUNCTION pulse_protect(tenant_table regclass, company_column name DEFAULT 'company_id')
    RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tenant_table);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tenant_table);
    EXECUTE format(
        'CREATE POLICY tenant ON %s TO pulse_app '
        'USING (%I = pulse_company()) WITH CHECK (%I = pulse_company())',
        tenant_table, company_column, company_column);
    EXECUTE format(
        'CREATE POLICY system ON %s TO pulse_system USING (true) WITH CHECK (true)',
        tenant_table);
    EXECUTE format(
        'CREATE POLICY migrations ON %s TO CURRENT_USER USING (true) WITH CHECK (true)',
        tenant_table);
END $$;

SELECT pulse_roles();

SELECT pulse_protect(c.oid)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public'
  AND c.relkind IN ('r', 'p')
  AND NOT c.relispartition
  AND EXISTS (
      SELECT 1 FROM pg_attribute a
      WHERE a.attrelid = c.oid AND a.attname = 'company_id' AND NOT a.attisdropped
  );

-- The company itself: its own row only.
SELECT pulse_protect('companies', 'id');
