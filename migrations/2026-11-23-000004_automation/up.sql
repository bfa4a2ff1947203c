-- Collection automation: escalation policies, where each claim stands in its policy, tasks
-- for humans, and the outbox of e-mails and SMS the scheduler writes.

CREATE TABLE policies (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    name        text NOT NULL,
    -- 'b2b' / 'b2c' for the two defaults every tenant has; NULL for the tenant's own.
    builtin     text CHECK (builtin IN ('b2b', 'b2c')),
    priority    integer NOT NULL,
    assignment  jsonb NOT NULL,
    steps       jsonb NOT NULL,
    version     bigint NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CONSTRAINT policies_tenant_id UNIQUE (tenant_id, id),
    CONSTRAINT policies_builtin_unique UNIQUE (tenant_id, builtin)
);

ALTER TABLE claims
    ADD COLUMN policy_id uuid,
    ADD COLUMN next_step integer NOT NULL DEFAULT 0,
    ADD COLUMN last_step_on date,
    ADD COLUMN planned_action_at timestamptz,
    -- A policy in use cannot be deleted; another tenant's policy cannot be named.
    ADD CONSTRAINT claims_policy_fk FOREIGN KEY (tenant_id, policy_id) REFERENCES policies (tenant_id, id);
UPDATE claims SET planned_action_at = next_action_at;
-- The scheduler's queue, across tenants.
CREATE INDEX claims_next_action ON claims (next_action_at) WHERE next_action_at IS NOT NULL;
CREATE INDEX claims_policy ON claims (policy_id) WHERE policy_id IS NOT NULL;

CREATE TABLE tasks (
    id            uuid PRIMARY KEY,
    tenant_id     uuid NOT NULL REFERENCES tenants (id),
    claim_id      uuid NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('phone_call', 'visit', 'legal_review', 'step_review')),
    -- The policy step that created it; a step creates its task once (the scheduler's
    -- exactly-once guarantee, checked again by the database).
    step_index    integer,
    assignee      text NOT NULL,
    title         text NOT NULL,
    details       text NOT NULL,
    due_at        timestamptz NOT NULL,
    status        text NOT NULL CHECK (status IN ('open', 'done')),
    outcome       text,
    outcome_note  text,
    completed_at  timestamptz,
    completed_by  text,
    version       bigint NOT NULL,
    created_at    timestamptz NOT NULL,
    CONSTRAINT tasks_claim_fk FOREIGN KEY (tenant_id, claim_id) REFERENCES claims (tenant_id, id),
    CONSTRAINT tasks_step_once UNIQUE (claim_id, step_index, kind)
);
CREATE INDEX tasks_open ON tasks (tenant_id, status, due_at, id);
CREATE INDEX tasks_claim ON tasks (claim_id);

CREATE TABLE outbox_messages (
    id             uuid PRIMARY KEY,
    tenant_id      uuid NOT NULL REFERENCES tenants (id),
    claim_id       uuid NOT NULL,
    channel        text NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient      text NOT NULL,
    subject        text NOT NULL,
    body           text NOT NULL,
    language       text NOT NULL,
    step_index     integer,
    status         text NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
    attempts       integer NOT NULL,
    last_error     text,
    provider_ref   text,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    CONSTRAINT outbox_claim_fk FOREIGN KEY (tenant_id, claim_id) REFERENCES claims (tenant_id, id),
    CONSTRAINT outbox_step_once UNIQUE (claim_id, step_index, channel)
);
CREATE INDEX outbox_pending ON outbox_messages (tenant_id, status, created_at, id);
