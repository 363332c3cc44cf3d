-- R5: the 3-year commitment as its own lifecycle. The reseller requests it for a customer that has VIP Select and is
-- not on an extended prepaid term; the customer accepts it within a window, or it is declined when the window
-- closes; accepted, the unit price is locked for the committed quantity and a payment falls due at acceptance and at
-- each anniversary of it, three in all; after three years it expires. customers.three_year_commitment_quantity stays
-- the committed quantity while one is committed (D7, and its CHECK keeps R5's rules on the customer row too). No
-- reseller_id: a commitment is the customer's, and follows it through a reseller change (X2).
CREATE TABLE three_year_commitments (
  id                uuid PRIMARY KEY,
  customer_id       uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  status            text NOT NULL DEFAULT 'requested'
                    CHECK (status IN ('requested', 'committed', 'declined', 'cancelled', 'expired')),
  product           text NOT NULL REFERENCES vip_products (name),
  currency          char(3) NOT NULL REFERENCES price_lists (currency),
  quantity          integer NOT NULL CHECK (quantity BETWEEN 1 AND 100000),
  -- Locked at acceptance: the list price less the VIP Select discount then.
  list_price_minor  bigint,
  discount_percent  integer CHECK (discount_percent BETWEEN 0 AND 100),
  unit_price_minor  bigint,
  requested_by      text NOT NULL,
  requested_at      timestamptz NOT NULL DEFAULT now(),
  accept_by         timestamptz NOT NULL,
  committed_at      timestamptz,
  ends_at           timestamptz,
  closed_at         timestamptz
);
-- One open commitment (requested or committed) per customer at a time.
CREATE UNIQUE INDEX three_year_commitments_open ON three_year_commitments (customer_id)
  WHERE status IN ('requested', 'committed');
CREATE INDEX three_year_commitments_by_customer ON three_year_commitments (customer_id, requested_at DESC);

CREATE TABLE three_year_commitment_payments (
  commitment_id  uuid NOT NULL REFERENCES three_year_commitments (id) ON DELETE CASCADE,
  year           integer NOT NULL CHECK (year BETWEEN 1 AND 3),
  amount_minor   bigint NOT NULL CHECK (amount_minor >= 0),
  currency       char(3) NOT NULL,
  due_at         timestamptz NOT NULL,
  invoiced_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (commitment_id, year)
);
