-- The bytes of a company's stored screenshots (the originals as kept), on the company
-- row, kept by triggers on `screenshots`: uploads check it against the company's quota
-- without summing the table.
ALTER TABLE companies ADD COLUMN screenshot_bytes bigint NOT NULL DEFAULT 0
    CHECK (screenshot_bytes >= 0);

UPDATE companies c
   SET screenshot_bytes = coalesce((SELECT sum(s.bytes) FROM screenshots s
                                     WHERE s.company_id = c.id), 0);

CREATE FUNCTION screenshots_inserted_bytes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE companies c
       SET screenshot_bytes = c.screenshot_bytes + d.bytes
      FROM (SELECT company_id, sum(bytes) AS bytes FROM inserted GROUP BY company_id) d
     WHERE c.id = d.company_id;
    RETURN NULL;
END $$;

CREATE FUNCTION screenshots_deleted_bytes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE companies c
       SET screenshot_bytes = greatest(c.screenshot_bytes - d.bytes, 0)
      FROM (SELECT company_id, sum(bytes) AS bytes FROM deleted GROUP BY company_id) d
     WHERE c.id = d.company_id;
    RETURN NULL;
END $$;

CREATE TRIGGER screenshots_inserted_bytes AFTER INSERT ON screenshots
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION screenshots_inserted_bytes();
CREATE TRIGGER screenshots_deleted_bytes AFTER DELETE ON screenshots
    REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION screenshots_deleted_bytes();
