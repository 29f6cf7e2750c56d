-- Channels per tenant and month, counted from the tenant's schema by "Refresh usage"
-- (issue #14). The app's tenant_usage has no channels counter, and the plans limit
-- channels (maxChannels): the overview compares the two. Console-owned, additive; no
-- foreign key to tenants, so nothing here can block the app's deletes.
CREATE TABLE IF NOT EXISTS console.tenant_channel_counts (
  tenant_id uuid NOT NULL,
  period text NOT NULL CHECK (period ~ '^\d{4}-\d{2}$'),
  channels integer NOT NULL CHECK (channels >= 0),
  counted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, period)
);
CREATE INDEX IF NOT EXISTS tenant_channel_counts_period_idx ON console.tenant_channel_counts (period);

-- Everyone with a console role reads it; refreshing usage is an admin action.
GRANT SELECT ON console.tenant_channel_counts TO nchat_console_support;
GRANT INSERT, UPDATE ON console.tenant_channel_counts TO nchat_console_admin;
