-- Reports over long ranges: a person's month (of their own time zone, like their days)
-- per application and in all, so a year by month reads twelve rows per person and
-- application rather than 365. And the per-application rollups carry their seconds in
-- their key's index, so a report reads the index alone.

CREATE TABLE activity_months (
    company_id   uuid NOT NULL,
    user_id      uuid NOT NULL,
    -- The first day of the month.
    month        date NOT NULL CHECK (extract(day FROM month) = 1),
    active_secs  bigint NOT NULL CHECK (active_secs >= 0),
    idle_secs    bigint NOT NULL CHECK (idle_secs >= 0),
    keystrokes   bigint NOT NULL CHECK (keystrokes >= 0),
    mouse_events bigint NOT NULL CHECK (mouse_events >= 0),
    PRIMARY KEY (company_id, user_id, month) INCLUDE (active_secs, idle_secs),
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);

CREATE TABLE activity_month_subjects (
    company_id   uuid NOT NULL,
    user_id      uuid NOT NULL,
    month        date NOT NULL CHECK (extract(day FROM month) = 1),
    subject_id   bigint NOT NULL,
    active_secs  bigint NOT NULL CHECK (active_secs >= 0),
    PRIMARY KEY (company_id, user_id, month, subject_id) INCLUDE (active_secs),
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);

-- What the days hold so far, by month.
INSERT INTO activity_months
SELECT company_id, user_id, date_trunc('month', day)::date, sum(active_secs), sum(idle_secs),
       sum(keystrokes), sum(mouse_events)
  FROM activity_days GROUP BY 1, 2, 3;
INSERT INTO activity_month_subjects
SELECT company_id, user_id, date_trunc('month', day)::date, subject_id, sum(active_secs)
  FROM activity_day_subjects GROUP BY 1, 2, 3, 4;

ALTER TABLE activity_hour_subjects DROP CONSTRAINT activity_hour_subjects_pkey,
    ADD PRIMARY KEY (company_id, user_id, hour, subject_id) INCLUDE (active_secs);
ALTER TABLE activity_day_subjects DROP CONSTRAINT activity_day_subjects_pkey,
    ADD PRIMARY KEY (company_id, user_id, day, subject_id) INCLUDE (active_secs);
ALTER TABLE activity_hours DROP CONSTRAINT activity_hours_pkey,
    ADD PRIMARY KEY (company_id, user_id, hour) INCLUDE (active_secs, idle_secs);
ALTER TABLE activity_days DROP CONSTRAINT activity_days_pkey,
    ADD PRIMARY KEY (company_id, user_id, day) INCLUDE (active_secs, idle_secs);
