-- nchat:adopt-if-exists public.tenants
--
-- The nself-chat app's multi-tenant tables, "030" layout (data-model.md section 2).
-- Applied only to an empty database. When public.tenants already exists the runner
-- records this migration as "adopted" and runs none of it: the console never alters
-- the app's own tables.

CREATE EXTENSION IF NOT EXISTS "uuid-ossp";
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE OR REPLACE FUNCTION public.update_updated_at_column() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

CREATE TABLE public.tenants (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  name varchar(255) NOT NULL,
  slug varchar(100) NOT NULL UNIQUE,
  custom_domain varchar(255) UNIQUE,
  status varchar(20) NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'suspended', 'trial', 'cancelled', 'pending')),
  owner_id uuid,
  owner_email varchar(255) NOT NULL,
  owner_name varchar(255) NOT NULL,
  branding jsonb DEFAULT '{}'::jsonb,
  schema_name varchar(100) NOT NULL UNIQUE,
  billing_plan varchar(20) NOT NULL DEFAULT 'free'
    CHECK (billing_plan IN ('free', 'pro', 'enterprise', 'custom')),
  billing_interval varchar(20) DEFAULT 'monthly' CHECK (billing_interval IN ('monthly', 'yearly')),
  stripe_customer_id varchar(255) UNIQUE,
  stripe_subscription_id varchar(255) UNIQUE,
  stripe_price_id varchar(255),
  current_period_start timestamptz,
  current_period_end timestamptz,
  cancel_at_period_end boolean DEFAULT false,
  last_payment_date timestamptz,
  last_payment_amount integer,
  last_payment_status varchar(20) CHECK (last_payment_status IN ('succeeded', 'failed', 'pending')),
  limits jsonb,
  features jsonb,
  metadata jsonb DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  trial_ends_at timestamptz,
  suspended_at timestamptz,
  cancelled_at timestamptz
);
CREATE INDEX idx_tenants_slug ON public.tenants (slug);
CREATE INDEX idx_tenants_custom_domain ON public.tenants (custom_domain);
CREATE INDEX idx_tenants_status ON public.tenants (status);
CREATE TRIGGER update_tenants_updated_at BEFORE UPDATE ON public.tenants
  FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

CREATE TABLE public.tenant_usage (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  tenant_id uuid NOT NULL REFERENCES public.tenants(id) ON DELETE CASCADE,
  period varchar(7) NOT NULL,
  users_active integer DEFAULT 0,
  users_total integer DEFAULT 0,
  messages_sent integer DEFAULT 0,
  messages_total integer DEFAULT 0,
  files_count integer DEFAULT 0,
  storage_bytes bigint DEFAULT 0,
  calls_total_minutes integer DEFAULT 0,
  calls_total_count integer DEFAULT 0,
  api_calls_total integer DEFAULT 0,
  api_calls_by_endpoint jsonb DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, period)
);
CREATE INDEX idx_tenant_usage_tenant_period ON public.tenant_usage (tenant_id, period);
CREATE TRIGGER update_tenant_usage_updated_at BEFORE UPDATE ON public.tenant_usage
  FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

CREATE TABLE public.tenant_settings (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  tenant_id uuid NOT NULL UNIQUE REFERENCES public.tenants(id) ON DELETE CASCADE,
  timezone varchar(50) DEFAULT 'UTC',
  language varchar(10) DEFAULT 'en',
  date_format varchar(20) DEFAULT 'YYYY-MM-DD',
  require_email_verification boolean DEFAULT true,
  require_two_factor boolean DEFAULT false,
  session_timeout_minutes integer DEFAULT 480,
  password_policy jsonb DEFAULT '{}'::jsonb,
  email_notifications boolean DEFAULT true,
  slack_notifications boolean DEFAULT false,
  webhook_notifications boolean DEFAULT false,
  message_retention_days integer DEFAULT 0,
  file_retention_days integer DEFAULT 0,
  audit_log_retention_days integer DEFAULT 90,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER update_tenant_settings_updated_at BEFORE UPDATE ON public.tenant_settings
  FOR EACH ROW EXECUTE FUNCTION public.update_updated_at_column();

CREATE TABLE public.tenant_invitations (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  tenant_id uuid NOT NULL REFERENCES public.tenants(id) ON DELETE CASCADE,
  email varchar(255) NOT NULL,
  role varchar(20) NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
  invited_by uuid,
  token varchar(255) NOT NULL UNIQUE,
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_tenant_invitations_tenant ON public.tenant_invitations (tenant_id);

CREATE TABLE public.tenant_audit_logs (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  tenant_id uuid NOT NULL REFERENCES public.tenants(id) ON DELETE CASCADE,
  user_id uuid,
  action varchar(100) NOT NULL,
  resource varchar(50),
  resource_id uuid,
  details jsonb,
  ip_address inet,
  user_agent text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_tenant_audit_logs_tenant ON public.tenant_audit_logs (tenant_id);
CREATE INDEX idx_tenant_audit_logs_user ON public.tenant_audit_logs (user_id);
CREATE INDEX idx_tenant_audit_logs_action ON public.tenant_audit_logs (action);
CREATE INDEX idx_tenant_audit_logs_created ON public.tenant_audit_logs (created_at DESC);

CREATE TABLE public.stripe_webhooks (
  id uuid PRIMARY KEY DEFAULT uuid_generate_v4(),
  stripe_event_id varchar(255) NOT NULL UNIQUE,
  event_type varchar(100) NOT NULL,
  tenant_id uuid REFERENCES public.tenants(id) ON DELETE SET NULL,
  payload jsonb NOT NULL,
  processed boolean DEFAULT false,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz
);
CREATE INDEX idx_stripe_webhooks_tenant ON public.stripe_webhooks (tenant_id);
CREATE INDEX idx_stripe_webhooks_processed ON public.stripe_webhooks (processed);

CREATE OR REPLACE FUNCTION public.check_tenant_limits(p_tenant_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
  t record;
  u record;
  result jsonb := '[]'::jsonb;
  over boolean;
  lim numeric;
BEGIN
  SELECT * INTO t FROM public.tenants WHERE id = p_tenant_id;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('error', 'Tenant not found');
  END IF;
  SELECT * INTO u FROM public.tenant_usage
   WHERE tenant_id = p_tenant_id AND period = to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM');
  lim := (t.limits->>'maxUsers')::numeric;
  IF lim IS NOT NULL AND lim <> -1 AND coalesce(u.users_total, 0) >= lim THEN
    result := result || jsonb_build_object('limit', 'maxUsers', 'current', u.users_total, 'max', lim);
    over := true;
  END IF;
  lim := (t.limits->>'maxStorageGB')::numeric;
  IF lim IS NOT NULL AND lim <> -1 AND coalesce(u.storage_bytes, 0) / 1024.0 ^ 3 >= lim THEN
    result := result || jsonb_build_object('limit', 'maxStorageGB', 'current', u.storage_bytes, 'max', lim);
    over := true;
  END IF;
  lim := (t.limits->>'maxApiCallsPerMonth')::numeric;
  IF lim IS NOT NULL AND lim <> -1 AND coalesce(u.api_calls_total, 0) >= lim THEN
    result := result || jsonb_build_object('limit', 'maxApiCallsPerMonth', 'current', u.api_calls_total, 'max', lim);
    over := true;
  END IF;
  -- As the app does: null, not false, when nothing is exceeded.
  RETURN jsonb_build_object('exceeded', over, 'limits', result);
END;
$$;

CREATE OR REPLACE FUNCTION public.get_tenant_by_subdomain(p_subdomain text) RETURNS SETOF public.tenants
LANGUAGE sql STABLE AS $$
  SELECT * FROM public.tenants WHERE slug = p_subdomain AND status IN ('active', 'trial') LIMIT 1
$$;

CREATE OR REPLACE FUNCTION public.get_tenant_by_domain(p_domain text) RETURNS SETOF public.tenants
LANGUAGE sql STABLE AS $$
  SELECT * FROM public.tenants WHERE custom_domain = p_domain AND status IN ('active', 'trial') LIMIT 1
$$;

-- The app's RLS: policies keyed on a JWT claim; table owners bypass them (no FORCE).
ALTER TABLE public.tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.tenant_settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenants_super_admin ON public.tenants
  USING (coalesce(current_setting('request.jwt.claims', true)::jsonb ->> 'role', '') = 'super_admin');
CREATE POLICY tenant_settings_super_admin ON public.tenant_settings
  USING (coalesce(current_setting('request.jwt.claims', true)::jsonb ->> 'role', '') = 'super_admin');
