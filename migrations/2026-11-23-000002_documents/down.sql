ALTER TABLE debtors DROP COLUMN legal_form;
ALTER TABLE creditors DROP COLUMN legal_representative;
DROP TABLE document_templates;
DROP TABLE documents;
