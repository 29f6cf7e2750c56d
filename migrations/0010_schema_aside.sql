-- Deep verification and restore-as-copy restore a backup under the tenant's own schema
-- name and rename the result, so the live schema with that name is moved aside for the
-- length of the (single) transaction and moved back before it ends. Renaming a schema
-- needs its ownership: the app's role owns tenant schemas, so only a superuser could do it.
--
-- console.rename_schema_aside lets a member of nchat_console_admin make exactly those two
-- moves and no other: a schema that a tenant row names (never a protected one) to a name
-- nchat_aside_<hex>, and such an aside schema back to the tenant schema name. It runs with
-- its owner's rights (the role that applies the console's migrations, which must be able
-- to rename tenant schemas: a superuser, or the owner of the app's schemas), with a fixed
-- search_path, and inside the caller's transaction: a rollback undoes the move. Additive.
CREATE OR REPLACE FUNCTION console.rename_schema_aside(p_from text, p_to text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  aside constant text := '^nchat_aside_[0-9a-f]{6,32}$';
  v_tenant text;
BEGIN
  IF NOT pg_has_role(session_user, 'nchat_console_admin', 'MEMBER') THEN
    RAISE EXCEPTION 'only members of nchat_console_admin may move tenant schemas aside' USING ERRCODE = '42501';
  END IF;
  IF p_to ~ aside AND p_from !~ aside THEN
    v_tenant := p_from;
  ELSIF p_from ~ aside AND p_to !~ aside THEN
    v_tenant := p_to;
  ELSE
    RAISE EXCEPTION 'refused: only a tenant schema and an nchat_aside_ schema may be swapped' USING ERRCODE = '42501';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM public.tenants t WHERE t.schema_name = v_tenant OR lower(t.schema_name) = v_tenant)
     OR v_tenant IN ('public', 'console', 'information_schema') OR v_tenant LIKE 'pg\_%'
     OR EXISTS (SELECT 1 FROM console.protected_schemas ps WHERE lower(ps.schema_name) = lower(v_tenant)) THEN
    RAISE EXCEPTION 'refused: % is not a tenant schema', v_tenant USING ERRCODE = '42501';
  END IF;
  EXECUTE format('ALTER SCHEMA %I RENAME TO %I', p_from, p_to);
END;
$$;
REVOKE ALL ON FUNCTION console.rename_schema_aside(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION console.rename_schema_aside(text, text) TO nchat_console_admin;
