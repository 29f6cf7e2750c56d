-- Backups: batch runs (resumable) and the extra facts each catalog row needs.
-- Additive only: console.backup_catalog keeps its meaning for other readers
-- (status 'succeeded' + verified_at = a verified backup).

CREATE TABLE IF NOT EXISTS console.backup_batches (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  directory text NOT NULL,
  -- The tenants the batch was asked to back up, in order.
  tenant_ids uuid[] NOT NULL,
  status text NOT NULL DEFAULT 'running'
    CHECK (status IN ('running', 'succeeded', 'partial', 'failed', 'cancelled')),
  summary jsonb,
  operator_name text,
  operator_email text,
  db_role text NOT NULL DEFAULT current_user
);
CREATE INDEX IF NOT EXISTS backup_batches_created_idx ON console.backup_batches (created_at DESC);

ALTER TABLE console.backup_catalog ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'export';
ALTER TABLE console.backup_catalog ADD COLUMN IF NOT EXISTS format_version integer;
ALTER TABLE console.backup_catalog ADD COLUMN IF NOT EXISTS manifest jsonb;
ALTER TABLE console.backup_catalog ADD COLUMN IF NOT EXISTS verify_error text;
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'backup_catalog_kind_check'
                   AND conrelid = 'console.backup_catalog'::regclass) THEN
    ALTER TABLE console.backup_catalog ADD CONSTRAINT backup_catalog_kind_check
      CHECK (kind IN ('export', 'batch', 'safety'));
  END IF;
END;
$$;
CREATE INDEX IF NOT EXISTS backup_catalog_batch_idx ON console.backup_catalog (batch_id) WHERE batch_id IS NOT NULL;

GRANT SELECT, INSERT, UPDATE ON console.backup_batches TO nchat_console_support;
