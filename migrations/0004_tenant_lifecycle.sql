-- Tenant lifecycle (issue 5): what the console needs to create, suspend, cancel and
-- hard-delete tenants with the database itself enforcing the two console roles.
--
--   * console.protected_schemas: schemas no console action may ever drop (templates,
--     public, console). Admins may only ADD to it, through console.protect_schema().
--   * public.hard_delete_tenant(uuid, ...): the function the deployment guide calls,
--     made safe (SECURITY DEFINER, fixed search_path, EXECUTE for the admin group only).
--   * Grants: admins may create schemas (CREATE on this database); support may read
--     tenant schemas (USAGE + SELECT) so it can export backups. Schemas the console
--     creates later get the same grants at creation time.
--
-- Nothing here alters the app's tables.

CREATE TABLE IF NOT EXISTS console.protected_schemas (
  schema_name text PRIMARY KEY CHECK (length(schema_name) BETWEEN 1 AND 63),
  reason text NOT NULL DEFAULT 'template',
  added_at timestamptz NOT NULL DEFAULT now(),
  added_by text NOT NULL DEFAULT session_user
);
INSERT INTO console.protected_schemas (schema_name, reason) VALUES
  ('nchat', 'template'), ('public', 'system'), ('console', 'console'), ('information_schema', 'system')
ON CONFLICT (schema_name) DO NOTHING;
GRANT SELECT ON console.protected_schemas TO nchat_console_support;

-- Add-only: registering a schema as protected can never weaken anything.
CREATE OR REPLACE FUNCTION console.protect_schema(p_schema text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
  IF p_schema IS NULL OR length(p_schema) NOT BETWEEN 1 AND 63 THEN
    RAISE EXCEPTION 'invalid schema name' USING ERRCODE = '22023';
  END IF;
  INSERT INTO console.protected_schemas (schema_name, reason, added_by)
  VALUES (p_schema, 'template', session_user)
  ON CONFLICT (schema_name) DO NOTHING;
END;
$$;
REVOKE ALL ON FUNCTION console.protect_schema(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION console.protect_schema(text) TO nchat_console_admin;

-- No deployment ships hard_delete_tenant (data-model.md section 2). Should one have an
-- unguarded one-argument version, move it aside so the guide's call reaches ours.
DO $$
BEGIN
  IF to_regprocedure('public.hard_delete_tenant(uuid)') IS NOT NULL THEN
    EXECUTE 'ALTER FUNCTION public.hard_delete_tenant(uuid) RENAME TO hard_delete_tenant_unguarded';
    EXECUTE 'REVOKE ALL ON FUNCTION public.hard_delete_tenant_unguarded(uuid) FROM PUBLIC';
    RAISE WARNING 'an existing public.hard_delete_tenant(uuid) was renamed to hard_delete_tenant_unguarded';
  END IF;
END;
$$;

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

  -- A verified backup of this tenant, younger than 24 hours.
  SELECT b.id INTO v_backup FROM console.backup_catalog b
   WHERE b.tenant_id = p_tenant_id AND lower(b.tenant_schema) = lower(v_schema)
     AND b.status = 'succeeded' AND b.verified_at IS NOT NULL
     AND coalesce(b.finished_at, b.started_at) > now() - interval '24 hours'
   ORDER BY coalesce(b.finished_at, b.started_at) DESC LIMIT 1;
  IF v_backup IS NULL THEN
    RAISE EXCEPTION 'no verified backup of tenant % younger than 24 hours', v_slug
      USING ERRCODE = '55000', HINT = 'nchat:no_backup';
  END IF;

  -- The app created schemas unquoted: exact name first, then the lower-cased one.
  SELECT n.oid, n.nspname INTO v_nsp, v_nspname FROM pg_namespace n WHERE n.nspname = v_schema;
  IF v_nsp IS NULL THEN
    SELECT n.oid, n.nspname INTO v_nsp, v_nspname FROM pg_namespace n WHERE n.nspname = lower(v_schema);
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

-- Admins create tenant schemas (the console runs the clone as nchat_console_admin
-- when the connected login cannot act as the template's owner).
DO $$
BEGIN
  EXECUTE format('GRANT CREATE ON DATABASE %I TO nchat_console_admin', current_database());
END;
$$;

-- Support reads existing tenant schemas (for backups). Schemas this role may not
-- grant on are reported, not fatal: an owner can grant them later. One catalog pass
-- lists every tenant schema's relations and the grants name them: GRANT ... ON ALL
-- TABLES IN SCHEMA would scan all of pg_class once per schema, hours on a large fleet.
DO $$
DECLARE
  r record;
BEGIN
  IF to_regclass('public.tenants') IS NULL THEN
    RETURN;
  END IF;
  FOR r IN
    WITH names AS (
      SELECT schema_name::text AS name FROM public.tenants
      UNION
      SELECT lower(schema_name::text) FROM public.tenants
    ), schemas AS (
      SELECT n.oid, n.nspname
        FROM pg_namespace n
        JOIN names ON names.name = n.nspname
       WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname NOT IN ('public', 'console', 'information_schema')
         AND NOT EXISTS (SELECT 1 FROM console.protected_schemas ps WHERE ps.schema_name = n.nspname)
    )
    SELECT s.nspname,
           string_agg(format('%I.%I', s.nspname, c.relname), ', ') FILTER (WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')) AS rels,
           string_agg(format('%I.%I', s.nspname, c.relname), ', ') FILTER (WHERE c.relkind = 'S') AS seqs
      FROM schemas s
      LEFT JOIN pg_class c ON c.relnamespace = s.oid
     GROUP BY s.nspname
  LOOP
    BEGIN
      EXECUTE format('GRANT USAGE ON SCHEMA %I TO nchat_console_support', r.nspname);
      IF r.rels IS NOT NULL THEN
        EXECUTE 'GRANT SELECT ON TABLE ' || r.rels || ' TO nchat_console_support';
      END IF;
      IF r.seqs IS NOT NULL THEN
        EXECUTE 'GRANT SELECT ON SEQUENCE ' || r.seqs || ' TO nchat_console_support';
      END IF;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE WARNING 'could not grant read access on schema % to nchat_console_support', r.nspname;
    END;
  END LOOP;
END;
$$;
