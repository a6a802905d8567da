DROP TRIGGER screenshots_deleted_bytes ON screenshots;
DROP TRIGGER screenshots_inserted_bytes ON screenshots;
DROP FUNCTION screenshots_deleted_bytes();
DROP FUNCTION screenshots_inserted_bytes();
ALTER TABLE companies DROP COLUMN screenshot_bytes;
