DROP INDEX claims_debtor_hold;
