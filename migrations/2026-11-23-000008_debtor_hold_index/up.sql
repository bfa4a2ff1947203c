-- Every scheduler pass looks for claims on debtors in collective proceedings that still lack
-- their declaration task (C. com. L622-24): few claims have a debtor hold, so index only those
-- instead of reading the whole table every 30 seconds on every replica.
CREATE INDEX claims_debtor_hold ON claims ((debtor_hold->>'kind')) WHERE debtor_hold IS NOT NULL;
