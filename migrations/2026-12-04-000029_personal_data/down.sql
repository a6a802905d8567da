CREATE OR REPLACE FUNCTION pulse_audit_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
DROP TABLE audit_pseudonymised;
ALTER TABLE audit_events DROP COLUMN personal_digest, DROP COLUMN personal_salt;
DROP TABLE data_exports;
DROP FUNCTION data_exports_queue_object();
