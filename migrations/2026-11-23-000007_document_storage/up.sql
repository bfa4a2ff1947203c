-- A PDF is already compressed (its streams are deflated): PostgreSQL's own compression of the
-- stored bytes costs CPU at every insert for next to no space. Store them out of line as they
-- are. (Applies to rows written from now on.)
ALTER TABLE documents ALTER COLUMN content SET STORAGE EXTERNAL;
