-- The audit trail explorer (issue #15). Console-owned objects only; nothing here touches
-- the app's tables (indexes on those are an explicit admin action in the console).
--
-- 1. console.tenant_audit_archive: the app's audit rows of a tenant, copied in the same
--    transaction as its hard delete, before public.tenant_audit_logs cascades them away
--    (or, in the newer layout, sets their tenant_id to NULL). Both layouts fit: the
--    normalised columns are filled from what the row has, the whole row kept as jsonb.
-- 2. Keyset indexes on the operator log: (at, id) newest first, per tenant and per action.

CREATE TABLE IF NOT EXISTS console.tenant_audit_archive (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL,
  tenant_slug text,
  source_table text NOT NULL,
  source_id text NOT NULL,
  created_at timestamptz NOT NULL,
  user_id text,
  actor_email text,
  actor_name text,
  action text NOT NULL,
  resource text,
  resource_id text,
  details jsonb,
  original jsonb NOT NULL,
  archived_at timestamptz NOT NULL DEFAULT now(),
  archived_by text NOT NULL DEFAULT session_user,
  UNIQUE (source_table, source_id)
);
CREATE INDEX IF NOT EXISTS tenant_audit_archive_created_idx ON console.tenant_audit_archive (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS tenant_audit_archive_tenant_idx ON console.tenant_audit_archive (tenant_id, created_at DESC, id DESC);

-- Append-only, like the operator log.
DROP TRIGGER IF EXISTS tenant_audit_archive_no_change ON console.tenant_audit_archive;
CREATE TRIGGER tenant_audit_archive_no_change BEFORE UPDATE OR DELETE ON console.tenant_audit_archive
  FOR EACH ROW EXECUTE FUNCTION console.operator_log_append_only();

GRANT SELECT ON console.tenant_audit_archive TO nchat_console_support;
-- Hard delete is an admin action; the copy runs in its transaction.
GRANT INSERT ON console.tenant_audit_archive TO nchat_console_admin;

CREATE INDEX IF NOT EXISTS operator_log_at_id_idx ON console.operator_log (at DESC, id DESC);
CREATE INDEX IF NOT EXISTS operator_log_tenant_at_id_idx ON console.operator_log (tenant_id, at DESC, id DESC);
CREATE INDEX IF NOT EXISTS operator_log_action_at_id_idx ON console.operator_log (action, at DESC, id DESC);
