//! Diesel table definitions, one `table!` per table.

diesel::table! {
    /// Diesel's own record of applied migrations.
    __diesel_schema_migrations (version) {
        version -> VarChar,
        run_on -> Timestamp,
    }
}

diesel::table! {
    companies (id) {
        id -> Uuid,
        name -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    teams (company_id, id) {
        company_id -> Uuid,
        id -> Uuid,
        name -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    users (company_id, id) {
        company_id -> Uuid,
        id -> Uuid,
        // citext, read and written as text.
        email -> Text,
        name -> Text,
        role -> Text,
        status -> Text,
        team_id -> Nullable<Uuid>,
        password_hash -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    team_managers (company_id, team_id, user_id) {
        company_id -> Uuid,
        team_id -> Uuid,
        user_id -> Uuid,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        company_id -> Uuid,
        token_hash -> Bytea,
        family_id -> Uuid,
        user_id -> Uuid,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    invitations (company_id, id) {
        company_id -> Uuid,
        id -> Uuid,
        email -> Text,
        role -> Text,
        team_id -> Nullable<Uuid>,
        token_hash -> Bytea,
        invited_by -> Uuid,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        accepted_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    api_keys (company_id, id) {
        company_id -> Uuid,
        id -> Uuid,
        name -> Text,
        role -> Text,
        prefix -> Text,
        secret_hash -> Bytea,
        created_by -> Uuid,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    audit_events (company_id, seq) {
        company_id -> Uuid,
        seq -> Int8,
        id -> Uuid,
        occurred_at -> Timestamptz,
        actor_kind -> Text,
        actor_id -> Nullable<Uuid>,
        action -> Text,
        target_kind -> Text,
        target_id -> Nullable<Uuid>,
        summary -> Jsonb,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        prev_hash -> Bytea,
        hash -> Bytea,
    }
}

diesel::table! {
    audit_heads (company_id) {
        company_id -> Uuid,
        seq -> Int8,
        hash -> Bytea,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    companies,
    teams,
    users,
    team_managers,
    refresh_tokens,
    invitations,
    api_keys,
    audit_events,
    audit_heads
);
