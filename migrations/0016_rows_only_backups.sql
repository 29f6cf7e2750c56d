-- Backups without a schema (issue 12, item 9). A cancelled tenant whose schema is missing
-- could never be hard-deleted: the delete needs a fresh verified backup, and there was no
-- schema to dump. The console now backs such a tenant up as its public rows alone, with
-- "schemaMissing": true in the manifest (console.backup_catalog.manifest). Such a backup
-- must count only while the schema is still missing, so hard_delete_tenant now looks the
-- schema up first and, when it exists, takes only backups that hold a schema. Nothing
-- else changes; the grants are restated.

-- Refusals carry HINT 'nchat:<reason>' so the console can explain them in words.
CREATE OR REPLACE FUNCTION public.hard_delete_tenant(
  p_tenant_id uuid,
  p_expected_schema text DEFAULT NULL,
  p_template_schema text DEFAULT 'nchat',
  p_tenant_prefix text DEFAULT 'tenant_',
  p_grace_days integer DEFAULT 30,
  p_context jsonb DEFAULT '{}'::jsonb
) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  t jsonb;
  v_schema text;
  v_slug text;
  v_cancelled timestamptz;
  v_nsp oid;
  v_nspname text;
  v_tables jsonb := '[]'::jsonb;
  v_override text := nullif(btrim(coalesce(p_context ->> 'overrideReason', '')), '');
  v_grace integer := coalesce(p_grace_days, 30);
  v_backup uuid;
BEGIN
  IF p_tenant_id IS NULL THEN
    RAISE EXCEPTION 'tenant id is required' USING ERRCODE = '22023', HINT = 'nchat:not_found';
  END IF;

  -- Read the row as jsonb so the function compiles and runs on every app layout.
  SELECT to_jsonb(x) INTO t FROM public.tenants x WHERE x.id = p_tenant_id FOR UPDATE;
  IF t IS NULL THEN
    RAISE EXCEPTION 'tenant % not found', p_tenant_id USING ERRCODE = 'P0002', HINT = 'nchat:not_found';
  END IF;
  v_schema := t ->> 'schema_name';
  v_slug := t ->> 'slug';

  IF (t ->> 'status') IS DISTINCT FROM 'cancelled' THEN
    RAISE EXCEPTION 'tenant % is %, not cancelled', v_slug, t ->> 'status'
      USING ERRCODE = '55000', HINT = 'nchat:not_cancelled';
  END IF;

  -- Grace period: default 30 days; shorter only with an override reason.
  v_cancelled := (t ->> 'cancelled_at')::timestamptz;
  IF v_override IS NULL AND (v_grace < 30 OR v_cancelled IS NULL OR v_cancelled > now() - make_interval(days => v_grace)) THEN
    RAISE EXCEPTION 'tenant % is still inside its grace period', v_slug
      USING ERRCODE = '55000', HINT = 'nchat:grace_period';
  END IF;

  -- Protected schemas, by the row's name and by the name PostgreSQL stores.
  IF v_schema IS NULL OR v_schema = '' OR length(v_schema) > 63
     OR lower(v_schema) IN ('public', 'console', 'information_schema', lower(coalesce(p_template_schema, 'nchat')))
     OR lower(v_schema) LIKE 'pg\_%'
     OR EXISTS (SELECT 1 FROM console.protected_schemas ps WHERE lower(ps.schema_name) = lower(v_schema)) THEN
    RAISE EXCEPTION 'schema of tenant % is protected', v_slug USING ERRCODE = '42501', HINT = 'nchat:protected';
  END IF;

  -- The schema must be the one the row names, and follow <prefix><slug>.
  IF (p_expected_schema IS NOT NULL AND p_expected_schema IS DISTINCT FROM v_schema)
     OR lower(v_schema) <> lower(coalesce(p_tenant_prefix, 'tenant_') || replace(v_slug, '-', '_')) THEN
    RAISE EXCEPTION 'schema of tenant % does not match its row', v_slug USING ERRCODE = '42501', HINT = 'nchat:schema_mismatch';
  END IF;

  -- The app created schemas unquoted: exact name first, then the lower-cased one.
  SELECT n.oid, n.nspname INTO v_nsp, v_nspname FROM pg_namespace n WHERE n.nspname = v_schema;
  IF v_nsp IS NULL THEN
    SELECT n.oid, n.nspname INTO v_nsp, v_nspname FROM pg_namespace n WHERE n.nspname = lower(v_schema);
  END IF;

  -- A verified backup of this tenant, younger than 24 hours.
  SELECT b.id INTO v_backup FROM console.backup_catalog b
   WHERE b.tenant_id = p_tenant_id AND lower(b.tenant_schema) = lower(v_schema)
     AND b.status = 'succeeded' AND b.verified_at IS NOT NULL
     AND coalesce(b.finished_at, b.started_at) > now() - interval '24 hours'
     -- A backup without a schema (taken while the schema was missing) covers the tenant
     -- only while its schema is still missing: it holds nothing of a schema there now.
     AND (v_nsp IS NULL OR coalesce(b.manifest ->> 'schemaMissing', 'false') <> 'true')
   ORDER BY coalesce(b.finished_at, b.started_at) DESC LIMIT 1;
  IF v_backup IS NULL THEN
    RAISE EXCEPTION 'no verified backup of tenant % younger than 24 hours', v_slug
      USING ERRCODE = '55000', HINT = 'nchat:no_backup';
  END IF;

  IF v_nsp IS NOT NULL THEN
    IF v_nspname LIKE 'pg\_%' OR EXISTS (SELECT 1 FROM pg_extension e WHERE e.extnamespace = v_nsp)
       OR EXISTS (SELECT 1 FROM console.protected_schemas ps WHERE lower(ps.schema_name) = lower(v_nspname)) THEN
      RAISE EXCEPTION 'schema of tenant % is protected', v_slug USING ERRCODE = '42501', HINT = 'nchat:protected';
    END IF;
    IF EXISTS (SELECT 1 FROM public.tenants x WHERE x.id <> p_tenant_id AND lower(x.schema_name) = lower(v_nspname)) THEN
      RAISE EXCEPTION 'schema of tenant % is named by another tenant', v_slug USING ERRCODE = '42501', HINT = 'nchat:schema_mismatch';
    END IF;
    SELECT coalesce(jsonb_agg(c.relname ORDER BY c.relname), '[]'::jsonb) INTO v_tables
      FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
     WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_namespace'::regclass
       AND d.refobjid = v_nsp AND c.relkind IN ('r', 'p');
    EXECUTE format('DROP SCHEMA %I CASCADE', v_nspname);
  END IF;

  -- Cascades to the tenant's settings, usage, invitations and audit rows.
  DELETE FROM public.tenants WHERE id = p_tenant_id;

  -- The operator log has no foreign key: this record outlives the tenant.
  INSERT INTO console.operator_log (operator_name, operator_email, db_role, action, tenant_id, tenant_slug, tenant_schema, params, outcome)
  VALUES (left(p_context ->> 'operatorName', 200), left(p_context ->> 'operatorEmail', 320), session_user, 'tenant.hard_delete',
          p_tenant_id, v_slug, v_schema,
          jsonb_build_object('droppedSchema', v_nspname, 'tables', v_tables, 'backupId', v_backup,
                             'graceDays', v_grace, 'cancelledAt', v_cancelled, 'overrideReason', v_override,
                             'context', p_context - 'operatorName' - 'operatorEmail'),
          'ok');

  RETURN jsonb_build_object('tenantId', p_tenant_id, 'slug', v_slug, 'schema', v_nspname,
                            'schemaDropped', v_nsp IS NOT NULL, 'tables', v_tables, 'backupId', v_backup);
END;
$$;
REVOKE ALL ON FUNCTION public.hard_delete_tenant(uuid, text, text, text, integer, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.hard_delete_tenant(uuid, text, text, text, integer, jsonb) TO nchat_console_admin;
