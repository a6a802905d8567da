-- Screenshots: metadata here, the images in the object store.

-- One row per uploaded screenshot. `client_id` is the agent's own id for the upload, so a
-- re-sent upload finds the row it made. The keys name the original (blurred when the
-- policy said so) and its JPEG thumbnail in the object store.
CREATE TABLE screenshots (
    company_id     uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id             uuid NOT NULL,
    agent_id       uuid NOT NULL,
    user_id        uuid NOT NULL,
    client_id      uuid NOT NULL,
    captured_at    timestamptz NOT NULL,
    monitor        integer NOT NULL CHECK (monitor BETWEEN 0 AND 15),
    format         text NOT NULL CHECK (format IN ('png', 'jpeg', 'webp')),
    width          integer NOT NULL CHECK (width > 0),
    height         integer NOT NULL CHECK (height > 0),
    bytes          bigint NOT NULL CHECK (bytes > 0),
    blurred        boolean NOT NULL,
    original_key   text NOT NULL,
    thumbnail_key  text NOT NULL,
    uploaded_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    UNIQUE (company_id, agent_id, client_id),
    FOREIGN KEY (company_id, agent_id) REFERENCES agents (company_id, id) ON DELETE CASCADE,
    FOREIGN KEY (company_id, user_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);
-- One person's screenshots newest first (the list), and retention per person.
CREATE INDEX screenshots_company_user_captured ON screenshots (company_id, user_id, captured_at, id);

-- Someone other than the subject opened the full image. `subject_id` is the screenshot's
-- person, kept here so "who looked at mine" is one index range.
CREATE TABLE screenshot_views (
    company_id     uuid NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    id             uuid NOT NULL,
    screenshot_id  uuid NOT NULL,
    subject_id     uuid NOT NULL,
    viewer_id      uuid NOT NULL,
    viewed_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, id),
    FOREIGN KEY (company_id, screenshot_id) REFERENCES screenshots (company_id, id) ON DELETE CASCADE,
    FOREIGN KEY (company_id, subject_id) REFERENCES users (company_id, id) ON DELETE CASCADE,
    FOREIGN KEY (company_id, viewer_id) REFERENCES users (company_id, id) ON DELETE CASCADE
);
CREATE INDEX screenshot_views_company_subject ON screenshot_views (company_id, subject_id, id);
CREATE INDEX screenshot_views_company_screenshot ON screenshot_views (company_id, screenshot_id, id);
CREATE INDEX screenshot_views_company_viewer ON screenshot_views (company_id, viewer_id);

-- Objects to delete from the store once `due_at` has passed: the outbox between a
-- database change and the store. An upload queues its keys an hour ahead before
-- writing them and unqueues them with its insert, so a crash in between leaves nothing
-- behind for long; every deleted screenshot queues its keys at once (the trigger below,
-- which also covers cascades from deleted people, agents and companies).
-- No foreign key: the queue must outlive the company whose objects it names.
CREATE TABLE object_deletions (
    company_id  uuid NOT NULL,
    key         text NOT NULL,
    due_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company_id, key)
);
CREATE INDEX object_deletions_due ON object_deletions (due_at);

CREATE FUNCTION screenshots_queue_objects() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO object_deletions (company_id, key, due_at)
    VALUES (OLD.company_id, OLD.original_key, now()), (OLD.company_id, OLD.thumbnail_key, now())
    ON CONFLICT (company_id, key) DO UPDATE SET due_at = excluded.due_at;
    RETURN NULL;
END
$$;

CREATE TRIGGER screenshots_queue_objects AFTER DELETE ON screenshots
    FOR EACH ROW EXECUTE FUNCTION screenshots_queue_objects();
