DROP FUNCTION IF EXISTS pulse_touch_updated_at();
DROP EXTENSION IF EXISTS citext;
