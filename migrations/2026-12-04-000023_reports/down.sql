ALTER TABLE session_queue DROP COLUMN time_zone;
DROP TABLE activity_day_subjects;
DROP TABLE activity_days;
DROP TABLE activity_hour_subjects;
DROP TABLE activity_hours;
DROP TABLE category_rules;
DROP TABLE activity_subjects;
