-- Fleet health (issue #16): incident mode and orphan schemas.
--
--   * console.incidents / console.incident_tenants: an incident suspends every live tenant
--     in one transaction and records exactly which tenants it suspended (their status
--     before, the suspension stamp it wrote), so "reactivate those" restores exactly that
--     set. Admins write them; support reads them. Writing a row here is the first step of
--     an incident, so a login without the admin group is refused by the database itself.
--   * console.drop_orphan_schema(...): drops a tenant_* schema that no tenant row names,
--     only after a verified backup of it, recorded in the operator log. EXECUTE for the
--     admin group only.
--
-- Console-owned and additive: nothing here alters the app's tables.

CREATE TABLE IF NOT EXISTS console.incidents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  opened_at timestamptz NOT NULL DEFAULT now(),
  opened_by_name text,
  opened_by_email text,
  opened_db_role text NOT NULL DEFAULT session_user,
  reason text NOT NULL DEFAULT 'security_incident',
  note text,
  tenants_suspended integer NOT NULL DEFAULT 0,
  closed_at timestamptz,
  closed_by_name text,
  closed_by_email text,
  closed_db_role text
);
-- At most one open incident.
CREATE UNIQUE INDEX IF NOT EXISTS incidents_one_open ON console.incidents ((true)) WHERE closed_at IS NULL;

CREATE TABLE IF NOT EXISTS console.incident_tenants (
  incident_id uuid NOT NULL REFERENCES console.incidents (id),
  tenant_id uuid NOT NULL,
  tenant_slug text NOT NULL,
  previous_status text NOT NULL,
  -- The suspension the incident wrote (metadata.consoleSuspension.at), to recognise it later.
  suspension_stamp text,
  -- Set by "reactivate those": reactivated, or why not (changed in between, gone, refused).
  outcome text CHECK (outcome IN ('reactivated', 'changed', 'gone', 'refused')),
  outcome_detail text,
  resolved_at timestamptz,
  PRIMARY KEY (incident_id, tenant_id)
);

GRANT SELECT ON console.incidents, console.incident_tenants TO nchat_console_support;
GRANT INSERT, UPDATE ON console.incidents, console.incident_tenants TO nchat_console_admin;

-- Refusals carry HINT 'nchat:<reason>' so the console can explain them in words.
CREATE OR REPLACE FUNCTION console.drop_orphan_schema(
  p_schema text,
  p_backup_id uuid,
  p_template_schema text DEFAULT 'nchat',
  p_tenant_prefix text DEFAULT 'tenant_',
  p_context jsonb DEFAULT '{}'::jsonb
) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_nsp oid;
  v_tables jsonb;
  v_file text;
BEGIN
  IF p_schema IS NULL OR length(p_schema) NOT BETWEEN 1 AND 63 THEN
    RAISE EXCEPTION 'invalid schema name' USING ERRCODE = '22023', HINT = 'nchat:not_found';
  END IF;
  SELECT n.oid INTO v_nsp FROM pg_namespace n WHERE n.nspname = p_schema;
  IF v_nsp IS NULL THEN
    RAISE EXCEPTION 'schema % does not exist', p_schema USING ERRCODE = 'P0002', HINT = 'nchat:not_found';
  END IF;
  -- Only tenant-named schemas, never a protected one, the template or one with an extension.
  IF left(p_schema, length(coalesce(p_tenant_prefix, 'tenant_'))) <> coalesce(p_tenant_prefix, 'tenant_')
     OR length(p_schema) <= length(coalesce(p_tenant_prefix, 'tenant_'))
     OR lower(p_schema) IN ('public', 'console', 'information_schema', lower(coalesce(p_template_schema, 'nchat')))
     OR lower(p_schema) LIKE 'pg\_%'
     OR EXISTS (SELECT 1 FROM console.protected_schemas ps WHERE lower(ps.schema_name) = lower(p_schema))
     OR EXISTS (SELECT 1 FROM pg_extension e WHERE e.extnamespace = v_nsp) THEN
    RAISE EXCEPTION 'schema % is protected', p_schema USING ERRCODE = '42501', HINT = 'nchat:protected';
  END IF;
  -- An orphan: no tenant row names it (exactly or lower-cased, as the app created them).
  IF to_regclass('public.tenants') IS NOT NULL
     AND EXISTS (SELECT 1 FROM public.tenants t WHERE p_schema IN (t.schema_name, lower(t.schema_name))) THEN
    RAISE EXCEPTION 'schema % belongs to a tenant', p_schema USING ERRCODE = '42501', HINT = 'nchat:not_orphan';
  END IF;
  -- The backup the console just made of it: succeeded, verified, younger than an hour.
  SELECT b.file_path INTO v_file FROM console.backup_catalog b
   WHERE b.id = p_backup_id AND b.tenant_schema = p_schema AND b.status = 'succeeded'
     AND b.verified_at IS NOT NULL AND coalesce(b.finished_at, b.started_at) > now() - interval '1 hour';
  IF v_file IS NULL THEN
    RAISE EXCEPTION 'no verified backup of schema %', p_schema USING ERRCODE = '55000', HINT = 'nchat:no_backup';
  END IF;

  SELECT coalesce(jsonb_agg(c.relname ORDER BY c.relname), '[]'::jsonb) INTO v_tables
    FROM pg_class c WHERE c.relnamespace = v_nsp AND c.relkind IN ('r', 'p');
  EXECUTE format('DROP SCHEMA %I CASCADE', p_schema);

  INSERT INTO console.operator_log (operator_name, operator_email, db_role, action, tenant_schema, params, outcome)
  VALUES (left(p_context ->> 'operatorName', 200), left(p_context ->> 'operatorEmail', 320), session_user,
          'health.orphan_drop', p_schema,
          jsonb_build_object('droppedSchema', p_schema, 'tables', v_tables, 'backupId', p_backup_id, 'backupFile', v_file),
          'ok');
  RETURN jsonb_build_object('schema', p_schema, 'tables', v_tables, 'backupId', p_backup_id);
END;
$$;
REVOKE ALL ON FUNCTION console.drop_orphan_schema(text, uuid, text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION console.drop_orphan_schema(text, uuid, text, text, jsonb) TO nchat_console_admin;
