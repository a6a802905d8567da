-- The owners and admins of a company, who receive its alerts: found through this index
-- instead of a pass over every employee, so raising an alert costs the same in a
-- company of 20 people or 20,000.
CREATE INDEX users_admins ON users (company_id) WHERE role IN ('owner', 'admin');
