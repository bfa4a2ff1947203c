-- The payment plan (échéancier) proposed or running on a claim.
ALTER TABLE claims ADD COLUMN payment_plan jsonb;
