-- The event stream (StreamEvents) and the tasks of debtor proceedings and limitation watch.

-- Each event remembers the transaction that wrote it. A reader serves only events of
-- transactions older than every transaction still running (pg_snapshot_xmin), in
-- (transaction, claim, seq) order: a cursor taken there never skips an event committed later
-- by a transaction that started earlier, which a plain sequence would.
ALTER TABLE claim_events ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX claim_events_stream ON claim_events (tenant_id, txid, claim_id, seq);

ALTER TABLE tasks DROP CONSTRAINT tasks_kind_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_kind_check CHECK (kind IN (
    'phone_call', 'visit', 'legal_review', 'step_review', 'declare_claim', 'limitation_review'));
-- A limitation deadline is watched once: a new deadline (after an interruption) is a new task.
CREATE UNIQUE INDEX tasks_limitation_once ON tasks (claim_id, due_at) WHERE kind = 'limitation_review';

-- Collective proceedings of a business debtor (sauvegarde, redressement, liquidation) or the
-- admissibility of a consumer's over-indebtedness file: recorded on the debtor, they hold
-- every claim on it.
ALTER TABLE debtors ADD COLUMN proceedings jsonb;
ALTER TABLE claims ADD COLUMN debtor_hold jsonb;

-- The limitation watch looks across tenants by deadline.
CREATE INDEX claims_limitation_watch ON claims (limitation_deadline) WHERE limitation_deadline IS NOT NULL;
-- A claim is declared once in collective proceedings.
CREATE UNIQUE INDEX tasks_declare_once ON tasks (claim_id) WHERE kind = 'declare_claim';
