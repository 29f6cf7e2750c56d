-- Billing (issue 13): webhook replay tracking, the exactly-once record of Stripe writes,
-- and the database side of the two console roles for billing:
--
--   * support may read everything billing shows, mark a failed event resolved, and
--     replay an event: the replay's writes go through console.billing_apply_replay(),
--     a SECURITY DEFINER function that changes only billing columns, the event's row and
--     the replay record, and logs the operator;
--   * fixing drift (reconcile) and cancelling a subscription need the admin role: support
--     has no UPDATE on the billing columns of public.tenants and no write on
--     console.stripe_operations.
--
-- Nothing here alters the app's tables.

-- console.webhook_replays exists since 0002; add what the failures screen shows.
ALTER TABLE console.webhook_replays ADD COLUMN IF NOT EXISTS event_type text;
ALTER TABLE console.webhook_replays ADD COLUMN IF NOT EXISTS tenant_id uuid;
ALTER TABLE console.webhook_replays ADD COLUMN IF NOT EXISTS last_outcome text
  CHECK (last_outcome IN ('applied', 'failed', 'skipped', 'resolved'));
ALTER TABLE console.webhook_replays ADD COLUMN IF NOT EXISTS first_attempt_at timestamptz;

GRANT SELECT, INSERT, UPDATE ON console.webhook_replays TO nchat_console_support;

-- Every Stripe write the console makes, written BEFORE the call with the idempotency key
-- it will send, completed AFTER Stripe answered. A crash in between leaves a 'pending'
-- row: the next attempt sends the same key, so Stripe answers with the first result and
-- nothing acts twice.
CREATE TABLE IF NOT EXISTS console.stripe_operations (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 8 AND 255),
  kind text NOT NULL CHECK (kind IN ('subscription.cancel', 'subscription.cancel_at_period_end')),
  tenant_id uuid,
  tenant_slug text,
  stripe_object_id text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  result jsonb,
  error text,
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  operator_name text,
  operator_email text,
  db_role text NOT NULL DEFAULT session_user
);
CREATE INDEX IF NOT EXISTS stripe_operations_tenant_idx ON console.stripe_operations (tenant_id, created_at DESC);
CREATE INDEX IF NOT EXISTS stripe_operations_pending_idx ON console.stripe_operations (status) WHERE status = 'pending';
GRANT SELECT ON console.stripe_operations TO nchat_console_support;
GRANT INSERT, UPDATE ON console.stripe_operations TO nchat_console_admin;

-- Replay: apply Stripe's current state of one object to one tenant, mark the event
-- processed (inserting its row when the app never got it), count the attempt, log it.
-- p_changes keys are billing columns of public.tenants; any other key is ignored, so
-- this cannot be used to change a tenant's status, name, schema or limits.
CREATE OR REPLACE FUNCTION console.billing_apply_replay(
  p_event_id text,
  p_event_type text,
  p_payload jsonb,
  p_tenant_id uuid,
  p_changes jsonb,
  p_context jsonb DEFAULT '{}'::jsonb
) RETURNS jsonb
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  v_allowed text[] := ARRAY['stripe_customer_id', 'stripe_subscription_id', 'stripe_price_id', 'billing_plan',
                            'billing_interval', 'current_period_start', 'current_period_end', 'cancel_at_period_end',
                            'trial_ends_at', 'last_payment_date', 'last_payment_amount', 'last_payment_status'];
  v_sets text[] := '{}';
  v_key text;
  v_type text;
  v_slug text;
  v_schema text;
  v_changed boolean := false;
  v_meta jsonb := coalesce(p_changes -> 'metadata', 'null'::jsonb);
BEGIN
  IF p_event_id IS NULL OR p_event_id !~ '^evt_[A-Za-z0-9_]{1,250}$' THEN
    RAISE EXCEPTION 'invalid Stripe event id' USING ERRCODE = '22023';
  END IF;
  IF p_tenant_id IS NOT NULL AND p_changes IS NOT NULL AND jsonb_typeof(p_changes) = 'object' THEN
    SELECT slug, schema_name INTO v_slug, v_schema FROM public.tenants WHERE id = p_tenant_id FOR UPDATE;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'tenant not found' USING ERRCODE = 'P0002';
    END IF;
    FOR v_key IN SELECT jsonb_object_keys(p_changes) LOOP
      CONTINUE WHEN NOT v_key = ANY (v_allowed);
      SELECT format_type(a.atttypid, a.atttypmod) INTO v_type FROM pg_attribute a
       WHERE a.attrelid = 'public.tenants'::regclass AND a.attname = v_key AND NOT a.attisdropped;
      CONTINUE WHEN v_type IS NULL;
      v_sets := array_append(v_sets, format('%I = CAST($1 ->> %L AS %s)', v_key, v_key, v_type));
    END LOOP;
    IF jsonb_typeof(v_meta) = 'object' AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = 'public.tenants'::regclass
                                                     AND a.attname = 'metadata' AND NOT a.attisdropped) THEN
      v_sets := array_append(v_sets, 'metadata = coalesce(metadata, ''{}''::jsonb) || $2');
    END IF;
    IF array_length(v_sets, 1) > 0 THEN
      EXECUTE format('UPDATE public.tenants SET %s WHERE id = $3', array_to_string(v_sets, ', '))
        USING p_changes, CASE WHEN jsonb_typeof(v_meta) = 'object' THEN v_meta ELSE '{}'::jsonb END, p_tenant_id;
      v_changed := true;
    END IF;
  END IF;

  IF to_regclass('public.stripe_webhooks') IS NOT NULL THEN
    INSERT INTO public.stripe_webhooks (stripe_event_id, event_type, tenant_id, payload, processed, error, processed_at)
    VALUES (p_event_id, p_event_type, p_tenant_id, coalesce(p_payload, '{}'::jsonb), true, NULL, now())
    ON CONFLICT (stripe_event_id) DO UPDATE
      SET processed = true, error = NULL, processed_at = now(),
          tenant_id = coalesce(public.stripe_webhooks.tenant_id, EXCLUDED.tenant_id);
  END IF;

  INSERT INTO console.webhook_replays AS r (stripe_event_id, attempts, first_attempt_at, last_attempt_at, last_error, last_outcome, event_type, tenant_id)
  VALUES (p_event_id, 1, now(), now(), NULL, 'applied', p_event_type, p_tenant_id)
  ON CONFLICT (stripe_event_id) DO UPDATE
    SET attempts = r.attempts + 1, last_attempt_at = now(), last_error = NULL, last_outcome = 'applied',
        event_type = coalesce(EXCLUDED.event_type, r.event_type), tenant_id = coalesce(EXCLUDED.tenant_id, r.tenant_id),
        first_attempt_at = coalesce(r.first_attempt_at, now());

  INSERT INTO console.operator_log (operator_name, operator_email, db_role, action, tenant_id, tenant_slug, tenant_schema, params, outcome)
  VALUES (left(p_context ->> 'operatorName', 200), left(p_context ->> 'operatorEmail', 320), session_user, 'billing.replay',
          p_tenant_id, v_slug, v_schema,
          jsonb_build_object('eventId', p_event_id, 'eventType', p_event_type, 'changes', coalesce(p_changes, '{}'::jsonb),
                             'context', coalesce(p_context, '{}'::jsonb) - 'operatorName' - 'operatorEmail'),
          'ok');

  RETURN jsonb_build_object('eventId', p_event_id, 'tenantId', p_tenant_id, 'tenantChanged', v_changed);
END;
$$;
REVOKE ALL ON FUNCTION console.billing_apply_replay(text, text, jsonb, uuid, jsonb, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION console.billing_apply_replay(text, text, jsonb, uuid, jsonb, jsonb) TO nchat_console_support;

-- Which Stripe price is which plan (the guide's DEFAULT_PLANS stripePriceIdMonthly /
-- stripePriceIdYearly). Reconcile and replay read the plan from here; a price not listed
-- leaves the plan alone and is reported.
CREATE TABLE IF NOT EXISTS console.billing_prices (
  price_id text PRIMARY KEY CHECK (price_id ~ '^price_[A-Za-z0-9_]{1,200}$'),
  plan text NOT NULL CHECK (length(plan) BETWEEN 1 AND 20),
  billing_interval text NOT NULL CHECK (billing_interval IN ('monthly', 'yearly')),
  added_at timestamptz NOT NULL DEFAULT now(),
  added_by text NOT NULL DEFAULT session_user
);
GRANT SELECT ON console.billing_prices TO nchat_console_support;
GRANT INSERT, UPDATE, DELETE ON console.billing_prices TO nchat_console_admin;

