-- Documents generated for claims, with the exact inputs they were rendered from, and the
-- tenants' template overrides.

CREATE TABLE documents (
    id                uuid PRIMARY KEY,
    tenant_id         uuid NOT NULL,
    claim_id          uuid NOT NULL,
    kind              text NOT NULL,
    language          text NOT NULL,
    content_type      text NOT NULL,
    file_name         text NOT NULL,
    content           bytea NOT NULL,
    size_bytes        bigint NOT NULL,
    sha256            bytea NOT NULL,
    template_version  text NOT NULL,
    -- The template source when it was a tenant's override (built-in ones ship with the binary).
    template_source   text,
    page_count        integer NOT NULL,
    -- The data rendered, as JSON: VerifyDocument renders it again.
    inputs            jsonb NOT NULL,
    created_at        timestamptz NOT NULL,
    CONSTRAINT documents_claim_fk FOREIGN KEY (tenant_id, claim_id) REFERENCES claims (tenant_id, id)
);
CREATE INDEX documents_tenant_claim ON documents (tenant_id, claim_id, id);

CREATE TABLE document_templates (
    tenant_id   uuid NOT NULL REFERENCES tenants (id),
    kind        text NOT NULL,
    language    text NOT NULL,
    source      text NOT NULL,
    version     bigint NOT NULL,
    sha256      bytea NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, kind, language)
);

-- Named in the bailiff dossier.
ALTER TABLE creditors ADD COLUMN legal_representative text NOT NULL DEFAULT '';
-- A business debtor's legal form, named in the bailiff dossier.
ALTER TABLE debtors ADD COLUMN legal_form text;
