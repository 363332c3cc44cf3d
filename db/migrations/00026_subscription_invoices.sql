-- E3 (Exclaimer): a per-user subscription is invoiced at each payment date for the month it starts, at the number of
-- users it has then, at its product's price per user and month.
CREATE TABLE subscription_prices (
  product       text PRIMARY KEY,
  currency      char(3) NOT NULL,
  amount_minor  bigint NOT NULL CHECK (amount_minor >= 0)
);
INSERT INTO subscription_prices (product, currency, amount_minor) VALUES
  ('signatures-microsoft-365', 'EUR', 150),
  ('signatures-google-workspace', 'EUR', 150);

CREATE TABLE subscription_invoices (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  subscription_id  uuid NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
  -- Issued to the reseller that owned the subscription then: an issued document stays with it (X2).
  reseller_id      uuid NOT NULL REFERENCES resellers (id),
  period_start     timestamptz NOT NULL,
  period_end       timestamptz NOT NULL,
  users            integer NOT NULL CHECK (users > 0),
  unit_price_minor bigint NOT NULL,
  total_minor      bigint NOT NULL,
  currency         char(3) NOT NULL,
  issued_at        timestamptz NOT NULL DEFAULT now(),
  -- A retried step finds the month's invoice instead of issuing a second one.
  UNIQUE (subscription_id, period_start)
);
