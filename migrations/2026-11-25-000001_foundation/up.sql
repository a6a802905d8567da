-- Case-insensitive text for e-mail addresses and other human identifiers.
CREATE EXTENSION IF NOT EXISTS citext;

-- Keeps `updated_at` honest on every table that has one:
-- `CREATE TRIGGER … BEFORE UPDATE … EXECUTE FUNCTION pulse_touch_updated_at()`.
CREATE FUNCTION pulse_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW IS DISTINCT FROM OLD THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END;
$$;
