-- The console's own objects. Everything lives in schema "console"; nothing here
-- changes the app's tables. (The ledger, console.schema_migrations, is created by
-- the runner itself before any migration runs.)

-- Append-only record of every operator action. No foreign key to tenants, so it
-- survives a hard delete.
CREATE TABLE IF NOT EXISTS console.operator_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  operator_name text,
  operator_email text,
  db_role text NOT NULL DEFAULT current_user,
  action text NOT NULL,
  tenant_id uuid,
  tenant_slug text,
  tenant_schema text,
  params jsonb NOT NULL DEFAULT '{}'::jsonb,
  outcome text NOT NULL DEFAULT 'ok',
  error text
);
CREATE INDEX IF NOT EXISTS operator_log_at_idx ON console.operator_log (at DESC);
CREATE INDEX IF NOT EXISTS operator_log_tenant_idx ON console.operator_log (tenant_id, at DESC);

CREATE OR REPLACE FUNCTION console.operator_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'console.operator_log is append-only' USING ERRCODE = '42501';
END;
$$;
DROP TRIGGER IF EXISTS operator_log_no_change ON console.operator_log;
CREATE TRIGGER operator_log_no_change BEFORE UPDATE OR DELETE ON console.operator_log
  FOR EACH ROW EXECUTE FUNCTION console.operator_log_append_only();

-- Catalog of backups the console wrote.
CREATE TABLE IF NOT EXISTS console.backup_catalog (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL,
  tenant_slug text NOT NULL,
  tenant_schema text NOT NULL,
  file_path text NOT NULL,
  file_name text NOT NULL,
  size_bytes bigint,
  sha256 text,
  pg_dump_version text,
  server_version text,
  batch_id uuid,
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
  error text,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  verified_at timestamptz,
  verification text CHECK (verification IN ('quick', 'deep')),
  operator_name text,
  operator_email text,
  db_role text NOT NULL DEFAULT current_user
);
CREATE INDEX IF NOT EXISTS backup_catalog_tenant_idx ON console.backup_catalog (tenant_id, started_at DESC);
CREATE INDEX IF NOT EXISTS backup_catalog_started_idx ON console.backup_catalog (started_at DESC);

-- Webhook replay tracking, keyed by Stripe's event id (public.stripe_webhooks has no attempt counter).
CREATE TABLE IF NOT EXISTS console.webhook_replays (
  stripe_event_id text PRIMARY KEY,
  attempts integer NOT NULL DEFAULT 0,
  last_attempt_at timestamptz,
  last_error text,
  resolved_by text,
  resolved_at timestamptz,
  note text
);
