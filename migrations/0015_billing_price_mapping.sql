-- Billing (issue 13): the price → plan mapping screen. console.billing_prices (0011) was
-- filled by SQL only; the console now adds, edits and removes rows itself (admins; support
-- reads), and remembers whether a price was checked with Stripe when it was saved, and what
-- Stripe said of it (product name, amount), so the list can say so without asking again.

ALTER TABLE console.billing_prices ADD COLUMN IF NOT EXISTS checked_at timestamptz;
ALTER TABLE console.billing_prices ADD COLUMN IF NOT EXISTS product_name text CHECK (length(product_name) <= 500);
ALTER TABLE console.billing_prices ADD COLUMN IF NOT EXISTS amount_cents bigint;
ALTER TABLE console.billing_prices ADD COLUMN IF NOT EXISTS currency text CHECK (length(currency) <= 10);
ALTER TABLE console.billing_prices ADD COLUMN IF NOT EXISTS updated_at timestamptz;
ALTER TABLE console.billing_prices ADD COLUMN IF NOT EXISTS updated_by text;
