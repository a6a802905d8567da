-- Seats in use: the people with at least one unrevoked agent. Kept on the company row by
-- triggers on `agents`, so that enrollment reads one number under the company's lock
-- instead of counting the company's agents (which made each enrollment slower than the
-- last in a large company).
ALTER TABLE companies ADD COLUMN seats_used integer NOT NULL DEFAULT 0
    CHECK (seats_used >= 0);

UPDATE companies c
   SET seats_used = (SELECT count(DISTINCT a.user_id)
                       FROM agents a
                      WHERE a.company_id = c.id AND a.revoked_at IS NULL);

-- Applies what one statement did to `agents` (`before`: the rows as they were, `after`:
-- as they are now) to the seat counts of their companies. Each person the statement
-- touched gains a seat when they hold an unrevoked agent now but did not before, and
-- loses one in the opposite case, however many of their agents the statement wrote.
-- The companies are locked first, so that the counts below see every change committed
-- before this one (two people revoking two agents of the same employee at the same time
-- cannot both think the other agent still holds the seat).
CREATE FUNCTION recount_seats(before agents[], after agents[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1
       FROM companies
      WHERE id IN (SELECT company_id FROM unnest(before)
                   UNION SELECT company_id FROM unnest(after))
      ORDER BY id
        FOR UPDATE;
    UPDATE companies c
       SET seats_used = c.seats_used + d.delta
      FROM (SELECT t.company_id, sum(t.holds::int - t.held::int) AS delta
              FROM (SELECT p.company_id, p.user_id,
                           EXISTS (SELECT 1 FROM agents a
                                    WHERE a.company_id = p.company_id
                                      AND a.user_id = p.user_id
                                      AND a.revoked_at IS NULL) AS holds,
                           EXISTS (SELECT 1 FROM unnest(before) b
                                    WHERE b.company_id = p.company_id
                                      AND b.user_id = p.user_id
                                      AND b.revoked_at IS NULL)
                           OR EXISTS (SELECT 1 FROM agents a
                                       WHERE a.company_id = p.company_id
                                         AND a.user_id = p.user_id
                                         AND a.revoked_at IS NULL
                                         AND a.id NOT IN (SELECT id FROM unnest(after)))
                               AS held
                      FROM (SELECT company_id, user_id FROM unnest(before)
                            UNION SELECT company_id, user_id FROM unnest(after)) p) t
             GROUP BY t.company_id) d
     WHERE c.id = d.company_id AND d.delta <> 0;
END $$;

CREATE FUNCTION agents_inserted_seats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM recount_seats('{}', ARRAY(SELECT n::agents FROM inserted n));
    RETURN NULL;
END $$;

-- Fires on every update of `agents` (a trigger with transition tables takes no column
-- list), so it passes on only the rows whose revocation or employee changed: the
-- frequent `last_seen_at` and presence writes cost one join of the statement's rows.
CREATE FUNCTION agents_updated_seats() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    before agents[];
    after agents[];
BEGIN
    SELECT array_agg(o::agents), array_agg(n::agents)
      INTO before, after
      FROM previous o
      JOIN updated n ON n.company_id = o.company_id AND n.id = o.id
     WHERE n.revoked_at IS DISTINCT FROM o.revoked_at OR n.user_id <> o.user_id;
    IF before IS NOT NULL THEN
        PERFORM recount_seats(before, after);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION agents_deleted_seats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM recount_seats(ARRAY(SELECT o::agents FROM deleted o), '{}');
    RETURN NULL;
END $$;

CREATE TRIGGER agents_inserted_seats AFTER INSERT ON agents
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION agents_inserted_seats();
CREATE TRIGGER agents_updated_seats AFTER UPDATE ON agents
    REFERENCING OLD TABLE AS previous NEW TABLE AS updated
    FOR EACH STATEMENT EXECUTE FUNCTION agents_updated_seats();
CREATE TRIGGER agents_deleted_seats AFTER DELETE ON agents
    REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION agents_deleted_seats();
