DROP TRIGGER screenshots_queue_objects ON screenshots;
DROP FUNCTION screenshots_queue_objects();
DROP TABLE object_deletions;
DROP TABLE screenshot_views;
DROP TABLE screenshots;
