-- Two group roles for operators (NOLOGIN; grant them to login roles).
--   nchat_console_support: read what the console shows, suspend, reactivate, export backups.
--   nchat_console_admin:   everything (member of support, plus writes).
-- Roles are cluster-wide: created only when missing. Creating them needs CREATEROLE;
-- without it the migration fails with a message saying so.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nchat_console_support') THEN
    CREATE ROLE nchat_console_support NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nchat_console_admin') THEN
    CREATE ROLE nchat_console_admin NOLOGIN;
  END IF;
  IF NOT pg_has_role('nchat_console_admin', 'nchat_console_support', 'member') THEN
    GRANT nchat_console_support TO nchat_console_admin;
  END IF;
END;
$$;

GRANT USAGE ON SCHEMA console TO nchat_console_support;
GRANT SELECT ON console.backup_catalog, console.webhook_replays TO nchat_console_support;
GRANT SELECT, INSERT ON console.operator_log TO nchat_console_support;
GRANT INSERT, UPDATE ON console.backup_catalog TO nchat_console_support;
GRANT INSERT, UPDATE ON console.webhook_replays TO nchat_console_admin;

-- Read access to the app's tenancy tables that exist (layouts differ).
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['tenants', 'tenant_usage', 'tenant_settings', 'tenant_invitations',
                           'tenant_audit_logs', 'tenant_audit_log', 'stripe_webhooks', 'tenant_domains']
  LOOP
    IF to_regclass(format('public.%I', t)) IS NOT NULL THEN
      EXECUTE format('GRANT SELECT ON public.%I TO nchat_console_support', t);
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON public.%I TO nchat_console_admin', t);
    END IF;
  END LOOP;
  -- Support may change only a tenant's status fields, and write audit rows.
  IF to_regclass('public.tenants') IS NOT NULL THEN
    -- Only the columns this layout has (the newer layout may lack some).
    SELECT string_agg(quote_ident(attname), ', ') INTO t
      FROM pg_attribute
     WHERE attrelid = 'public.tenants'::regclass AND NOT attisdropped
       AND attname IN ('status', 'suspended_at', 'updated_at', 'metadata');
    IF t IS NOT NULL THEN
      EXECUTE format('GRANT UPDATE (%s) ON public.tenants TO nchat_console_support', t);
    END IF;
    -- The app's RLS policies are written for app users; give console roles their own
    -- policy (table owners already bypass RLS). The app never runs as these roles.
    IF NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'public' AND tablename = 'tenants'
                   AND policyname = 'nchat_console_access') THEN
      EXECUTE 'CREATE POLICY nchat_console_access ON public.tenants TO nchat_console_support USING (true) WITH CHECK (true)';
    END IF;
  END IF;
  IF to_regclass('public.tenant_settings') IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'public' AND tablename = 'tenant_settings'
                     AND policyname = 'nchat_console_access') THEN
    EXECUTE 'CREATE POLICY nchat_console_access ON public.tenant_settings TO nchat_console_support USING (true) WITH CHECK (true)';
  END IF;
  IF to_regclass('public.tenant_audit_logs') IS NOT NULL THEN
    EXECUTE 'GRANT INSERT ON public.tenant_audit_logs TO nchat_console_support';
  END IF;
  IF to_regclass('public.tenant_audit_log') IS NOT NULL THEN
    EXECUTE 'GRANT INSERT ON public.tenant_audit_log TO nchat_console_support';
  END IF;
END;
$$;
