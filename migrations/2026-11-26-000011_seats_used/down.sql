DROP TRIGGER agents_deleted_seats ON agents;
DROP TRIGGER agents_updated_seats ON agents;
DROP TRIGGER agents_inserted_seats ON agents;
DROP FUNCTION agents_deleted_seats();
DROP FUNCTION agents_updated_seats();
DROP FUNCTION agents_inserted_seats();
DROP FUNCTION recount_seats(agents[], agents[]);
ALTER TABLE companies DROP COLUMN seats_used;
