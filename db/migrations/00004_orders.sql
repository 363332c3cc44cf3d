-- The catalog (DOMAIN.md O1, B2): drivers, plans, subscription types per region, one price list per
-- currency, promo codes. Money is integer minor units with its currency, never floats.
CREATE TABLE price_lists (
  currency  char(3) PRIMARY KEY,
  name      text NOT NULL
);
CREATE TABLE subscription_types (
  code  text PRIMARY KEY,
  name  text NOT NULL
);
-- Where a subscription type is offered; '*' means everywhere.
CREATE TABLE subscription_type_regions (
  subscription_type  text NOT NULL REFERENCES subscription_types (code),
  country            text NOT NULL,
  PRIMARY KEY (subscription_type, country)
);
CREATE TABLE plans (
  code  text PRIMARY KEY,
  name  text NOT NULL
);
CREATE TABLE drivers (
  code  text PRIMARY KEY,
  name  text NOT NULL,
  kind  text NOT NULL CHECK (kind IN ('printer', 'cutter')),
  tier  integer NOT NULL CHECK (tier > 0)
);
-- One price per item, currency and subscription type; item is a driver or a plan code.
CREATE TABLE prices (
  item               text NOT NULL,
  currency           char(3) NOT NULL REFERENCES price_lists (currency),
  subscription_type  text NOT NULL REFERENCES subscription_types (code),
  amount_minor       integer NOT NULL CHECK (amount_minor >= 0),
  PRIMARY KEY (item, currency, subscription_type)
);
CREATE TABLE promo_codes (
  code         text PRIMARY KEY,
  percent_off  integer NOT NULL CHECK (percent_off BETWEEN 1 AND 100),
  valid_from   timestamptz NOT NULL,
  valid_until  timestamptz NOT NULL
);

-- Orders and trials (O1-O8): one row each, lines per driver, one license.
CREATE TABLE orders (
  id                 uuid PRIMARY KEY,
  reseller_id        uuid NOT NULL REFERENCES resellers (id),
  customer_id        uuid NOT NULL REFERENCES customers (id),
  kind               text NOT NULL CHECK (kind IN ('order', 'trial')),
  status             text NOT NULL CHECK (status IN ('pending_activation', 'active', 'expired', 'converted')),
  currency           char(3) NOT NULL REFERENCES price_lists (currency),
  po_number          text,
  promo_code         text REFERENCES promo_codes (code),
  subscription_type  text NOT NULL REFERENCES subscription_types (code),
  plan               text NOT NULL REFERENCES plans (code),
  subtotal_minor     integer NOT NULL,
  discount_minor     integer NOT NULL,
  total_minor        integer NOT NULL CHECK (total_minor >= 0),
  trial_ends_at      timestamptz,
  created_by         uuid NOT NULL REFERENCES reseller_users (id),
  created_at         timestamptz NOT NULL DEFAULT now(),
  converted_at       timestamptz
);
CREATE INDEX orders_by_reseller ON orders (reseller_id, created_at DESC, id);
CREATE INDEX orders_by_customer ON orders (customer_id);
CREATE TABLE order_lines (
  order_id            uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  driver_code         text NOT NULL REFERENCES drivers (code),
  unit_price_minor    integer NOT NULL,
  PRIMARY KEY (order_id, driver_code)
);

ALTER TABLE licenses ADD COLUMN order_id uuid REFERENCES orders (id) ON DELETE CASCADE;
ALTER TABLE licenses ADD COLUMN activated_at timestamptz;
ALTER TABLE licenses ADD COLUMN expires_at timestamptz;
CREATE INDEX licenses_by_order ON licenses (order_id);

-- The customer's single-use activation links (O4, T3).
CREATE TABLE license_activation_tokens (
  token_hash  bytea PRIMARY KEY,
  license_id  uuid NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
