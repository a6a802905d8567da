ALTER TABLE activity_days DROP CONSTRAINT activity_days_pkey,
    ADD PRIMARY KEY (company_id, user_id, day);
ALTER TABLE activity_hours DROP CONSTRAINT activity_hours_pkey,
    ADD PRIMARY KEY (company_id, user_id, hour);
ALTER TABLE activity_day_subjects DROP CONSTRAINT activity_day_subjects_pkey,
    ADD PRIMARY KEY (company_id, user_id, day, subject_id);
ALTER TABLE activity_hour_subjects DROP CONSTRAINT activity_hour_subjects_pkey,
    ADD PRIMARY KEY (company_id, user_id, hour, subject_id);
DROP TABLE activity_month_subjects;
DROP TABLE activity_months;
