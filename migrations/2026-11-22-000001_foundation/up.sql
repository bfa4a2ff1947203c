-- Foundation schema: tenants and keys, parties, claims, their invoices, payments,
-- the hash-chained event timeline, and the idempotency ledger.
-- Every business row carries tenant_id and every query filters on it (tenancy is security).

CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    -- 'creditor' collects its own invoices; 'agency' collects for others (CPCE R124 applies).
    kind        text NOT NULL CHECK (kind IN ('creditor', 'agency')),
    created_at  timestamptz NOT NULL
);

CREATE TABLE api_keys (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    role        text NOT NULL CHECK (role IN ('agent', 'legal', 'admin')),
    label       text NOT NULL,
    -- SHA-256 of the token; the token itself is shown once and never stored.
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

CREATE TABLE creditors (
    id                 uuid PRIMARY KEY,
    tenant_id          uuid NOT NULL REFERENCES tenants (id),
    legal_name         text NOT NULL,
    legal_form         text NOT NULL,
    siren              text,
    siret              text,
    vat_number         text,
    address            jsonb NOT NULL,
    iban               text,
    bic                text,
    contact_email      text,
    contact_phone      text,
    agency_client      boolean NOT NULL,
    version            bigint NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    -- Target of tenant-scoped foreign keys: a claim can only name a creditor of its tenant.
    CONSTRAINT creditors_tenant_id UNIQUE (tenant_id, id)
);

CREATE TABLE debtors (
    id                  uuid PRIMARY KEY,
    tenant_id           uuid NOT NULL REFERENCES tenants (id),
    kind                text NOT NULL CHECK (kind IN ('consumer', 'business')),
    -- business: legal_name (+ siren); consumer: given/family names.
    legal_name          text,
    given_name          text,
    family_name         text,
    siren               text,
    addresses           jsonb NOT NULL,
    emails              jsonb NOT NULL,
    phones              jsonb NOT NULL,
    preferred_language  text NOT NULL,
    version             bigint NOT NULL,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    CONSTRAINT debtors_tenant_id UNIQUE (tenant_id, id)
);

CREATE TABLE claims (
    id                   uuid PRIMARY KEY,
    tenant_id            uuid NOT NULL REFERENCES tenants (id),
    creditor_id          uuid NOT NULL,
    debtor_id            uuid NOT NULL,
    external_reference   text NOT NULL,
    currency             text NOT NULL,
    state                text NOT NULL,
    principal_total      numeric NOT NULL,
    paid_total           numeric NOT NULL,
    -- Holds, kept inline so one row tells whether escalation may proceed.
    dispute              jsonb,
    promise              jsonb,
    closure              jsonb,
    next_action_at       timestamptz,
    -- version doubles as the sequence number of the last event (one event per change).
    version              bigint NOT NULL,
    head_hash            bytea NOT NULL,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    CONSTRAINT claims_external_reference_unique UNIQUE (tenant_id, creditor_id, external_reference),
    -- Tenant-scoped: another tenant's creditor or debtor id fails here like a missing one.
    CONSTRAINT claims_creditor_fk FOREIGN KEY (tenant_id, creditor_id) REFERENCES creditors (tenant_id, id),
    CONSTRAINT claims_debtor_fk FOREIGN KEY (tenant_id, debtor_id) REFERENCES debtors (tenant_id, id),
    CONSTRAINT claims_tenant_id UNIQUE (tenant_id, id)
);
CREATE INDEX claims_tenant_state ON claims (tenant_id, state, id);
CREATE INDEX claims_tenant_debtor ON claims (tenant_id, debtor_id, id);
CREATE INDEX claims_tenant_next_action ON claims (tenant_id, next_action_at) WHERE next_action_at IS NOT NULL;

CREATE TABLE invoices (
    claim_id                 uuid NOT NULL REFERENCES claims (id),
    position                 integer NOT NULL,
    tenant_id                uuid NOT NULL,
    number                   text NOT NULL,
    issue_date               date NOT NULL,
    service_completion_date  date,
    due_date                 date NOT NULL,
    amount                   numeric NOT NULL,
    PRIMARY KEY (claim_id, position)
);

CREATE TABLE payments (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL,
    claim_id     uuid NOT NULL REFERENCES claims (id),
    amount       numeric NOT NULL,
    value_date   date NOT NULL,
    method       text NOT NULL,
    reference    text NOT NULL,
    recorded_at  timestamptz NOT NULL
);
CREATE INDEX payments_claim ON payments (claim_id, recorded_at);

-- Append-only: the application never updates or deletes an event. Each hash covers the
-- previous event's hash, so editing any row breaks the chain from that row on.
CREATE TABLE claim_events (
    claim_id     uuid NOT NULL REFERENCES claims (id),
    seq          bigint NOT NULL,
    tenant_id    uuid NOT NULL,
    kind         text NOT NULL,
    occurred_at  timestamptz NOT NULL,
    actor        text NOT NULL,
    payload      jsonb NOT NULL,
    prev_hash    bytea NOT NULL,
    hash         bytea NOT NULL,
    PRIMARY KEY (claim_id, seq)
);

-- AIP-155 request ids: the first result is replayed, a different request under the same id refused.
CREATE TABLE idempotency_keys (
    tenant_id     uuid NOT NULL,
    request_id    text NOT NULL,
    method        text NOT NULL,
    request_hash  bytea NOT NULL,
    response      bytea,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, request_id)
);
