ALTER TABLE claims DROP COLUMN payment_plan;
