//! Diesel table definitions, one `table!` per table.

diesel::table! {
    /// Diesel's own record of applied migrations.
    __diesel_schema_migrations (version) {
        version -> VarChar,
        run_on -> Timestamp,
    }
}
