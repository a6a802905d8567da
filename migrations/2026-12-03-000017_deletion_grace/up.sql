-- Deleting a person keeps them, and everything recorded about them, for a grace period
-- in which an owner can restore them; the retention job deletes them (and, by cascade,
-- their activity and screenshots) once it has passed.
ALTER TABLE users ADD COLUMN deleted_at timestamptz;
CREATE INDEX users_deleted ON users (deleted_at) WHERE deleted_at IS NOT NULL;
