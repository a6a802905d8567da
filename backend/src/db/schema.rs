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
        seat_limit -> Nullable<Int4>,
        seats_used -> Int4,
        screenshot_bytes -> Int8,
        plan_id -> Text,
        billing_email -> Nullable<Text>,
        stripe_customer_id -> Nullable<Text>,
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
        deleted_at -> Nullable<Timestamptz>,
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
        family_started_at -> Timestamptz,
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
        personal_digest -> Nullable<Bytea>,
        personal_salt -> Nullable<Bytea>,
    }
}

diesel::table! {
    audit_pseudonymised (company_id, seq) {
        company_id -> Uuid,
        seq -> Int8,
        erased_user_id -> Uuid,
        pseudonymised_at -> Timestamptz,
    }
}

diesel::table! {
    data_exports (company_id, id) {
        company_id -> Uuid,
        id -> Uuid,
        user_id -> Uuid,
        requested_by -> Nullable<Uuid>,
        status -> Text,
        progress -> Int2,
        object_key -> Nullable<Text>,
        size_bytes -> Nullable<Int8>,
        error -> Nullable<Text>,
        lease_until -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    audit_heads (company_id) {
        company_id -> Uuid,
        seq -> Int8,
        hash -> Bytea,
    }
}

diesel::table! {
    alerts (company_id, id) {
        company_id -> Uuid,
        id -> Uuid,
        kind -> Text,
        severity -> Text,
        title -> Text,
        body -> Text,
        agent_id -> Nullable<Uuid>,
        user_id -> Nullable<Uuid>,
        invoice_id -> Nullable<Text>,
        policy_id -> Nullable<Uuid>,
        open_key -> Nullable<Text>,
        resolved_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        agent_count -> Nullable<Int4>,
    }
}

diesel::table! {
    alert_agents (company_id, alert_id, agent_id) {
        company_id -> Uuid,
        alert_id -> Uuid,
        agent_id -> Uuid,
        back_online_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    alert_recipients (seq) {
        seq -> Int8,
        company_id -> Uuid,
        alert_id -> Uuid,
        user_id -> Uuid,
        in_app -> Bool,
        read_at -> Nullable<Timestamptz>,
        email_status -> Nullable<Text>,
        email_attempts -> Int4,
        email_next_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    alert_preferences (company_id, user_id, kind) {
        company_id -> Uuid,
        user_id -> Uuid,
        kind -> Text,
        in_app -> Bool,
        email -> Bool,
    }
}

diesel::table! {
    password_resets (token_hash) {
        token_hash -> Bytea,
        company_id -> Uuid,
        user_id -> Uuid,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    signups (token_hash) {
        token_hash -> Bytea,
        email -> Text,
        name -> Text,
        company_name -> Text,
        password_hash -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    stream_tickets (token_hash) {
        token_hash -> Bytea,
        company_id -> Uuid,
        user_id -> Uuid,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_endpoints (company_id, id) {
        company_id -> Uuid,
        id -> Uuid,
        url -> Text,
        description -> Text,
        secret -> Text,
        kinds -> Array<Text>,
        enabled -> Bool,
        created_by -> Uuid,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_deliveries (company_id, id) {
        company_id -> Uuid,
        id -> Uuid,
        endpoint_id -> Uuid,
        event_id -> Uuid,
        event_type -> Text,
        payload -> Jsonb,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Nullable<Timestamptz>,
        give_up_at -> Timestamptz,
        delivered_at -> Nullable<Timestamptz>,
        last_status_code -> Nullable<Int4>,
        last_latency_ms -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        replay_of -> Nullable<Uuid>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_attempts (company_id, delivery_id, number) {
        company_id -> Uuid,
        delivery_id -> Uuid,
        number -> Int4,
        attempted_at -> Timestamptz,
        status_code -> Nullable<Int4>,
        latency_ms -> Int4,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    policies (company_id, id) {
        company_id -> Uuid,
        id -> Uuid,
        team_id -> Nullable<Uuid>,
        user_id -> Nullable<Uuid>,
        settings -> Jsonb,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    enrollment_tokens (company_id, id) {
        company_id -> Uuid,
        id -> Uuid,
        name -> Text,
        token_hash -> Bytea,
        user_id -> Nullable<Uuid>,
        expires_at -> Timestamptz,
        max_uses -> Int4,
        uses -> Int4,
        created_by -> Uuid,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    agents (company_id, id) {
        company_id -> Uuid,
        id -> Uuid,
        user_id -> Uuid,
        hostname -> Text,
        os -> Text,
        agent_version -> Text,
        secret_hash -> Bytea,
        enrolled_with -> Nullable<Uuid>,
        enrolled_at -> Timestamptz,
        last_seen_at -> Nullable<Timestamptz>,
        last_state -> Nullable<Text>,
        presence -> Text,
        revoked_at -> Nullable<Timestamptz>,
        spool_pending -> Nullable<Int4>,
        spool_dropped -> Nullable<Int8>,
        spool_dead_letters -> Nullable<Int4>,
    }
}

diesel::table! {
    activity_events (company_id, agent_id, id, started_at) {
        company_id -> Uuid,
        agent_id -> Uuid,
        id -> Uuid,
        user_id -> Uuid,
        app -> Text,
        title -> Nullable<Text>,
        url -> Nullable<Text>,
        started_at -> Timestamptz,
        duration_secs -> Int4,
        keystrokes -> Int4,
        mouse_events -> Int4,
        active_secs -> Int4,
        idle -> Bool,
        received_at -> Timestamptz,
    }
}

diesel::table! {
    screenshots (company_id, id) {
        company_id -> Uuid,
        id -> Uuid,
        agent_id -> Uuid,
        user_id -> Uuid,
        client_id -> Uuid,
        captured_at -> Timestamptz,
        monitor -> Int4,
        format -> Text,
        width -> Int4,
        height -> Int4,
        bytes -> Int8,
        blurred -> Bool,
        original_key -> Text,
        thumbnail_key -> Text,
        uploaded_at -> Timestamptz,
    }
}

diesel::table! {
    work_sessions (company_id, id) {
        company_id -> Uuid,
        id -> Uuid,
        user_id -> Uuid,
        started_at -> Timestamptz,
        ended_at -> Timestamptz,
        active_secs -> Int8,
        idle_secs -> Int8,
        keystrokes -> Int8,
        mouse_events -> Int8,
        app_secs -> Jsonb,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    screenshot_views (company_id, id) {
        company_id -> Uuid,
        id -> Uuid,
        screenshot_id -> Uuid,
        subject_id -> Uuid,
        viewer_id -> Uuid,
        viewed_at -> Timestamptz,
    }
}

diesel::table! {
    object_deletions (company_id, key) {
        company_id -> Uuid,
        key -> Text,
        due_at -> Timestamptz,
    }
}

diesel::table! {
    plans (id) {
        id -> Text,
        name -> Text,
        position -> Int4,
        monthly_price_cents -> Int4,
        currency -> Text,
        seat_limit -> Nullable<Int4>,
        features -> Jsonb,
        stripe_price_id -> Nullable<Text>,
    }
}

diesel::table! {
    stripe_events (id) {
        id -> Text,
        #[sql_name = "type"]
        kind -> Text,
        created_at -> Timestamptz,
        received_at -> Timestamptz,
        payload -> Jsonb,
    }
}

diesel::table! {
    subscriptions (company_id) {
        company_id -> Uuid,
        stripe_subscription_id -> Text,
        stripe_item_id -> Text,
        plan_id -> Text,
        status -> Text,
        cancel_at_period_end -> Bool,
        current_period_start -> Timestamptz,
        current_period_end -> Timestamptz,
        unpaid_since -> Nullable<Timestamptz>,
        expiring_alerted_for -> Nullable<Timestamptz>,
        synced_at -> Timestamptz,
    }
}

diesel::table! {
    payment_cards (company_id) {
        company_id -> Uuid,
        stripe_payment_method_id -> Text,
        brand -> Text,
        last4 -> Text,
        exp_month -> Int4,
        exp_year -> Int4,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    invoices (company_id, id) {
        company_id -> Uuid,
        id -> Text,
        number -> Nullable<Text>,
        status -> Text,
        total_cents -> Int8,
        amount_due_cents -> Int8,
        amount_paid_cents -> Int8,
        currency -> Text,
        period_start -> Timestamptz,
        period_end -> Timestamptz,
        created_at -> Timestamptz,
        hosted_invoice_url -> Nullable<Text>,
        invoice_pdf -> Nullable<Text>,
        payment_error -> Nullable<Text>,
        synced_at -> Timestamptz,
    }
}

diesel::table! {
    category_rules (company_id, id) {
        company_id -> Uuid,
        id -> Uuid,
        field -> Text,
        match_kind -> Text,
        pattern -> Text,
        productivity -> Text,
        category -> Text,
        team_id -> Nullable<Uuid>,
        user_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
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
    audit_heads,
    audit_pseudonymised,
    data_exports,
    alerts,
    alert_agents,
    alert_recipients,
    alert_preferences,
    stream_tickets,
    password_resets,
    signups,
    webhook_endpoints,
    webhook_deliveries,
    webhook_attempts,
    policies,
    enrollment_tokens,
    agents,
    activity_events,
    work_sessions,
    screenshots,
    screenshot_views,
    object_deletions,
    plans,
    stripe_events,
    subscriptions,
    payment_cards,
    invoices,
    category_rules
);
