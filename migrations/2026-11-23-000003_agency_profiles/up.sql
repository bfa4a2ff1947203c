-- A collection agency's own identity (CPCE R124-4 1°): printed on every letter it sends.
CREATE TABLE agency_profiles (
    tenant_id   uuid PRIMARY KEY REFERENCES tenants (id),
    profile     jsonb NOT NULL,
    updated_at  timestamptz NOT NULL
);
