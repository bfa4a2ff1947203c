-- Operator keys cannot exist without the role.
DELETE FROM api_keys WHERE role = 'operator';
ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('agent', 'legal', 'admin'));
ALTER TABLE payments DROP COLUMN invoice_number, DROP COLUMN recorded_seq;
ALTER TABLE invoices DROP COLUMN payment_terms, DROP COLUMN payment_terms_days,
    DROP COLUMN contractual_rate;
DROP INDEX claims_tenant_limitation;
ALTER TABLE claims DROP COLUMN interest_regime, DROP COLUMN legal_facts,
    DROP COLUMN limitation_deadline;
ALTER TABLE creditors DROP COLUMN natural_person, DROP COLUMN end_of_month_method;
DROP TABLE legal_interest_rates;
DROP TABLE ecb_rates;
