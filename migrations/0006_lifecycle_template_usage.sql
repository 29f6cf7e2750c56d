-- Tenant lifecycle, follow-up to 0004: the console's roles need USAGE on the template
-- schema. The cloner renders the template's definitions with search_path set to the
-- template, so references inside it come out unqualified and land in the new schema;
-- PostgreSQL leaves a schema the role cannot use out of the search path, which would
-- qualify them (and point a clone's foreign keys at the template). USAGE alone reads
-- no data: it lets the console's roles see the template they clone ("read what the
-- console shows"). A template under another name needs the same grant (the console
-- says so when it is missing).
DO $$
BEGIN
  IF to_regnamespace('nchat') IS NOT NULL THEN
    EXECUTE 'GRANT USAGE ON SCHEMA nchat TO nchat_console_support';
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE WARNING 'could not grant USAGE on schema nchat to nchat_console_support; grant it as the schema owner';
END;
$$;
