// @generated-style: kept in step with migrations/ by hand (diesel print-schema layout).

diesel::table! {
    tenants (id) {
        id -> Uuid,
        name -> Text,
        kind -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        role -> Text,
        label -> Text,
        token_hash -> Bytea,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    creditors (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        legal_name -> Text,
        legal_form -> Text,
        siren -> Nullable<Text>,
        siret -> Nullable<Text>,
        vat_number -> Nullable<Text>,
        address -> Jsonb,
        iban -> Nullable<Text>,
        bic -> Nullable<Text>,
        contact_email -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        agency_client -> Bool,
        natural_person -> Bool,
        end_of_month_method -> Text,
        legal_representative -> Text,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    debtors (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        kind -> Text,
        legal_name -> Nullable<Text>,
        legal_form -> Nullable<Text>,
        given_name -> Nullable<Text>,
        family_name -> Nullable<Text>,
        siren -> Nullable<Text>,
        addresses -> Jsonb,
        emails -> Jsonb,
        phones -> Jsonb,
        preferred_language -> Text,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        proceedings -> Nullable<Jsonb>,
    }
}

diesel::table! {
    claims (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        creditor_id -> Uuid,
        debtor_id -> Uuid,
        external_reference -> Text,
        currency -> Text,
        state -> Text,
        principal_total -> Numeric,
        paid_total -> Numeric,
        dispute -> Nullable<Jsonb>,
        promise -> Nullable<Jsonb>,
        closure -> Nullable<Jsonb>,
        next_action_at -> Nullable<Timestamptz>,
        version -> Int8,
        head_hash -> Bytea,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        interest_regime -> Text,
        legal_facts -> Jsonb,
        limitation_deadline -> Nullable<Date>,
        policy_id -> Nullable<Uuid>,
        next_step -> Int4,
        last_step_on -> Nullable<Date>,
        planned_action_at -> Nullable<Timestamptz>,
        debtor_hold -> Nullable<Jsonb>,
        payment_plan -> Nullable<Jsonb>,
    }
}

diesel::table! {
    policies (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        name -> Text,
        builtin -> Nullable<Text>,
        priority -> Int4,
        assignment -> Jsonb,
        steps -> Jsonb,
        version -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    tasks (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        claim_id -> Uuid,
        kind -> Text,
        step_index -> Nullable<Int4>,
        assignee -> Text,
        title -> Text,
        details -> Text,
        due_at -> Timestamptz,
        status -> Text,
        outcome -> Nullable<Text>,
        outcome_note -> Nullable<Text>,
        completed_at -> Nullable<Timestamptz>,
        completed_by -> Nullable<Text>,
        version -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    outbox_messages (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        claim_id -> Uuid,
        channel -> Text,
        recipient -> Text,
        subject -> Text,
        body -> Text,
        language -> Text,
        step_index -> Nullable<Int4>,
        status -> Text,
        attempts -> Int4,
        last_error -> Nullable<Text>,
        provider_ref -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    invoices (claim_id, position) {
        claim_id -> Uuid,
        position -> Int4,
        tenant_id -> Uuid,
        number -> Text,
        issue_date -> Date,
        service_completion_date -> Nullable<Date>,
        due_date -> Date,
        amount -> Numeric,
        payment_terms -> Nullable<Text>,
        payment_terms_days -> Nullable<Int4>,
        contractual_rate -> Nullable<Numeric>,
    }
}

diesel::table! {
    payments (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        claim_id -> Uuid,
        amount -> Numeric,
        value_date -> Date,
        method -> Text,
        reference -> Text,
        recorded_at -> Timestamptz,
        invoice_number -> Nullable<Text>,
        recorded_seq -> Int8,
    }
}

diesel::table! {
    claim_events (claim_id, seq) {
        claim_id -> Uuid,
        seq -> Int8,
        tenant_id -> Uuid,
        kind -> Text,
        occurred_at -> Timestamptz,
        actor -> Text,
        payload -> Jsonb,
        prev_hash -> Bytea,
        hash -> Bytea,
    }
}

diesel::table! {
    idempotency_keys (tenant_id, request_id) {
        tenant_id -> Uuid,
        request_id -> Text,
        method -> Text,
        request_hash -> Bytea,
        response -> Nullable<Bytea>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    ecb_rates (effective_date) {
        effective_date -> Date,
        rate -> Numeric,
        source -> Text,
        recorded_at -> Timestamptz,
    }
}

diesel::table! {
    legal_interest_rates (year, half) {
        year -> Int4,
        half -> Int4,
        individual_rate -> Numeric,
        other_rate -> Numeric,
        source -> Text,
        recorded_at -> Timestamptz,
    }
}

diesel::table! {
    documents (id) {
        id -> Uuid,
        tenant_id -> Uuid,
        claim_id -> Uuid,
        kind -> Text,
        language -> Text,
        content_type -> Text,
        file_name -> Text,
        content -> Bytea,
        size_bytes -> Int8,
        sha256 -> Bytea,
        template_version -> Text,
        template_source -> Nullable<Text>,
        page_count -> Int4,
        inputs -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    document_templates (tenant_id, kind, language) {
        tenant_id -> Uuid,
        kind -> Text,
        language -> Text,
        source -> Text,
        version -> Int8,
        sha256 -> Bytea,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    agency_profiles (tenant_id) {
        tenant_id -> Uuid,
        profile -> Jsonb,
        updated_at -> Timestamptz,
    }
}

diesel::joinable!(api_keys -> tenants (tenant_id));
diesel::joinable!(invoices -> claims (claim_id));
diesel::joinable!(payments -> claims (claim_id));
diesel::joinable!(claim_events -> claims (claim_id));

diesel::allow_tables_to_appear_in_same_query!(
    tenants,
    api_keys,
    creditors,
    debtors,
    claims,
    invoices,
    payments,
    claim_events,
    idempotency_keys,
    documents,
    document_templates,
    agency_profiles,
    policies,
    tasks,
    outbox_messages,
);
