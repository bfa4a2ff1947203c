DROP INDEX tasks_declare_once;
DROP INDEX claims_limitation_watch;
ALTER TABLE claims DROP COLUMN debtor_hold;
ALTER TABLE debtors DROP COLUMN proceedings;
DROP INDEX tasks_limitation_once;
ALTER TABLE tasks DROP CONSTRAINT tasks_kind_check;
ALTER TABLE tasks ADD CONSTRAINT tasks_kind_check CHECK (kind IN ('phone_call', 'visit', 'legal_review', 'step_review'));
DROP INDEX claim_events_stream;
ALTER TABLE claim_events DROP COLUMN txid;
