-- The statement engine: reference rates as data, payment terms and contractual rates on
-- invoices, the debtor's designation on payments, the legal facts recorded on claims.

-- ECB main refinancing operations rate by effective (value) date, law-fr.md §2.1. Shared by
-- all tenants: the law's figures, set by the operator (`recouvre admin set-rate`).
CREATE TABLE ecb_rates (
    effective_date  date PRIMARY KEY,
    rate            numeric NOT NULL,
    source          text NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now()
);

-- Legal interest rates per semester (CMF L313-2), law-fr.md §2.2–§2.3.
CREATE TABLE legal_interest_rates (
    year             integer NOT NULL,
    half             integer NOT NULL CHECK (half IN (1, 2)),
    individual_rate  numeric NOT NULL,
    other_rate       numeric NOT NULL,
    source           text NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (year, half)
);

INSERT INTO ecb_rates (effective_date, rate, source) VALUES
    ('2014-09-10', 0.05, 'MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo'),
    ('2016-03-16', 0.00, 'MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo'),
    ('2022-07-27', 0.50, 'MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo'),
    ('2022-09-14', 1.25, 'MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo'),
    ('2022-11-02', 2.00, 'MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo'),
    ('2022-12-21', 2.50, 'MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo'),
    ('2023-02-08', 3.00, 'MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo'),
    ('2023-03-22', 3.50, 'MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo'),
    ('2023-05-10', 3.75, 'MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo'),
    ('2023-06-21', 4.00, 'MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo'),
    ('2023-08-02', 4.25, 'MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo'),
    ('2023-09-20', 4.50, 'MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo'),
    ('2024-06-12', 4.25, 'MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo'),
    ('2024-09-18', 3.65, 'MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo'),
    ('2024-10-23', 3.40, 'MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo'),
    ('2024-12-18', 3.15, 'MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo'),
    ('2025-02-05', 2.90, 'MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo'),
    ('2025-03-12', 2.65, 'MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo'),
    ('2025-04-23', 2.40, 'MRO value date; Les Echos Publishing table via https://optimial.fr/taux-de-refinancement-taux-refi-ou-repo'),
    ('2025-06-11', 2.15, 'MRO settlement 11.06.2025, Banka Slovenije MRO auction table, https://apl.bsi.si/orodja/avkcije-en.asp'),
    ('2026-01-01', 2.15, 'Confirmation: unchanged at the decisions of Jul, Sep, Oct and 18 Dec 2025 (ECB hold of 18 Dec 2025); https://www.econotimes.com/ECB-Holds-Rates-Steady-Lagarde-Signals-No-Rush-to-Cut-Amid-Balanced-Risks-1729070');

INSERT INTO legal_interest_rates (year, half, individual_rate, other_rate, source) VALUES
    (2015, 1, 4.06, 0.93, 'Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl'),
    (2015, 2, 4.29, 0.99, 'Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl'),
    (2016, 1, 4.54, 1.01, 'Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl'),
    (2016, 2, 4.35, 0.93, 'Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl'),
    (2017, 1, 4.16, 0.90, 'Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl'),
    (2017, 2, 3.94, 0.90, 'Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl'),
    (2018, 1, 3.73, 0.89, 'Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl'),
    (2018, 2, 3.60, 0.88, 'Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl'),
    (2019, 1, 3.40, 0.86, 'Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl'),
    (2019, 2, 3.26, 0.87, 'Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl'),
    (2020, 1, 3.15, 0.87, 'Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl'),
    (2020, 2, 3.11, 0.84, 'Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl'),
    (2021, 1, 3.14, 0.79, 'Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl'),
    (2021, 2, 3.12, 0.76, 'Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl'),
    (2022, 1, 3.13, 0.76, 'Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl'),
    (2022, 2, 3.15, 0.77, 'Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl'),
    (2023, 1, 4.47, 2.06, 'Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl'),
    (2023, 2, 6.82, 4.22, 'Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl'),
    (2024, 1, 8.01, 5.07, 'Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl'),
    (2024, 2, 8.16, 4.92, 'Semester arrêté (CMF L313-2); service-public F783 table, https://associations.gouv.fr/dons-donations-et-legs.html?xml=F783&xsl=.xsl'),
    (2025, 1, 7.21, 3.71, 'Arrêté of Dec 2024; LaClef table, https://www.laclef.eu/index.php/actualites/banque/taux-de-l-interet-legal-au-1er-semestre-2026'),
    (2025, 2, 6.65, 2.76, 'Arrêté ECOT2516925A du 19 juin 2025 (JO 24 Jun 2025), https://www.cna2c.fr/nos-actualites-juridiques/taux-de-linteret-legal-a-compter-du-1er-juillet-2025'),
    (2026, 1, 6.67, 2.62, 'Arrêté du 15 décembre 2025 (JORF 26 Dec 2025), https://juriblio.fr/arretes/arrete-du-15-decembre-2025/187383136');

-- A creditor who is a natural person acting outside a profession: civil regime, "particuliers"
-- legal rate. How its contracts count "45 days end of month" (DGCCRF accepts both).
ALTER TABLE creditors
    ADD COLUMN natural_person boolean NOT NULL DEFAULT false,
    ADD COLUMN end_of_month_method text NOT NULL DEFAULT 'add_then_end_of_month';

-- Decided at creation from the debtor's kind and the creditor's status.
ALTER TABLE claims
    ADD COLUMN interest_regime text NOT NULL DEFAULT 'commercial',
    -- Formal notice receipt, judgment, interruptions, recovery costs, compound interest.
    ADD COLUMN legal_facts jsonb NOT NULL DEFAULT '{}',
    -- Earliest limitation deadline of an invoice still owing, kept at every change.
    ADD COLUMN limitation_deadline date;
CREATE INDEX claims_tenant_limitation ON claims (tenant_id, limitation_deadline)
    WHERE limitation_deadline IS NOT NULL;

ALTER TABLE invoices
    ADD COLUMN payment_terms text,
    ADD COLUMN payment_terms_days integer,
    ADD COLUMN contractual_rate numeric;

-- The debtor's designation (C. civ. 1342-10), and the claim version that recorded the payment:
-- payments keep their recording order even when recorded within the same microsecond.
ALTER TABLE payments
    ADD COLUMN invoice_number text,
    ADD COLUMN recorded_seq bigint NOT NULL DEFAULT 0;

-- Operators set the reference rates every tenant shares; their keys come from the command line.
ALTER TABLE api_keys DROP CONSTRAINT api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check
    CHECK (role IN ('agent', 'legal', 'admin', 'operator'));
