-- Billing cycles, invoices, payments and balance (DOMAIN.md S1, S2, B1, D6).

-- B1: the reseller's discount on list prices, in whole percent.
ALTER TABLE resellers ADD COLUMN discount_percent integer NOT NULL DEFAULT 0 CHECK (discount_percent BETWEEN 0 AND 100);

-- One per SaaS order. Billing (is a cycle invoiced?) and entitlement (may the license be used?) are
-- kept apart, as in Kill Bill: S1 suspends at the cycle's end, S2 stops the entitlement at once.
CREATE TABLE billing_subscriptions (
  order_id              uuid PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
  reseller_id           uuid NOT NULL REFERENCES resellers (id),
  customer_id           uuid NOT NULL REFERENCES customers (id),
  cycle                 text NOT NULL CHECK (cycle IN ('monthly', 'annual')),
  current_period_start  timestamptz NOT NULL,
  current_period_end    timestamptz NOT NULL,
  next_payment_date     timestamptz,
  billing_state         text NOT NULL DEFAULT 'active' CHECK (billing_state IN ('active', 'paused')),
  entitlement           text NOT NULL DEFAULT 'active' CHECK (entitlement IN ('active', 'suspended', 'stopped')),
  suspend_at_cycle_end  boolean NOT NULL DEFAULT false,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  CHECK (current_period_end > current_period_start)
);
CREATE INDEX billing_subscriptions_by_reseller ON billing_subscriptions (reseller_id, created_at DESC);

CREATE SEQUENCE invoice_number START 100001;

-- B1/B2: one invoice per order and billing period, net of the reseller's discount, in the order's currency.
CREATE TABLE invoices (
  id                uuid PRIMARY KEY,
  number            text NOT NULL UNIQUE,
  reseller_id       uuid NOT NULL REFERENCES resellers (id),
  customer_id       uuid NOT NULL REFERENCES customers (id),
  order_id          uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  currency          char(3) NOT NULL REFERENCES price_lists (currency),
  period_start      timestamptz NOT NULL,
  period_end        timestamptz NOT NULL,
  status            text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paid')),
  subtotal_minor    integer NOT NULL CHECK (subtotal_minor >= 0),
  discount_percent  integer NOT NULL CHECK (discount_percent BETWEEN 0 AND 100),
  discount_minor    integer NOT NULL CHECK (discount_minor >= 0),
  total_minor       integer NOT NULL CHECK (total_minor >= 0),
  issued_at         timestamptz NOT NULL DEFAULT now(),
  due_at            timestamptz NOT NULL,
  paid_at           timestamptz,
  CHECK (total_minor = subtotal_minor - discount_minor),
  -- A retried activity finds the period's invoice instead of issuing a second one.
  UNIQUE (order_id, period_start)
);
CREATE INDEX invoices_by_reseller ON invoices (reseller_id, issued_at DESC, id DESC);

CREATE TABLE invoice_lines (
  invoice_id        uuid NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
  position          integer NOT NULL,
  item              text NOT NULL,
  description       text NOT NULL,
  unit_price_minor  integer NOT NULL CHECK (unit_price_minor >= 0),
  PRIMARY KEY (invoice_id, position)
);

-- B1 "paid online": the payment provider's events; its event id makes a replayed webhook a no-op.
CREATE TABLE payments (
  id                 uuid PRIMARY KEY,
  provider_event_id  text NOT NULL UNIQUE,
  invoice_id         uuid NOT NULL REFERENCES invoices (id),
  reseller_id        uuid NOT NULL REFERENCES resellers (id),
  amount_minor       integer NOT NULL CHECK (amount_minor > 0),
  currency           char(3) NOT NULL,
  received_at        timestamptz NOT NULL DEFAULT now()
);

-- D6: the reseller's balance per currency is the sum of its transactions (an invoice owes, a payment settles).
CREATE TABLE reseller_balance_transactions (
  id            bigserial PRIMARY KEY,
  reseller_id   uuid NOT NULL REFERENCES resellers (id),
  kind          text NOT NULL CHECK (kind IN ('invoice', 'payment')),
  invoice_id    uuid NOT NULL REFERENCES invoices (id),
  payment_id    uuid REFERENCES payments (id),
  currency      char(3) NOT NULL,
  amount_minor  integer NOT NULL,
  description   text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'invoice' AND amount_minor >= 0 AND payment_id IS NULL) OR (kind = 'payment' AND amount_minor < 0 AND payment_id IS NOT NULL))
);
CREATE INDEX reseller_balance_transactions_by_reseller ON reseller_balance_transactions (reseller_id, id DESC);
-- One charge per invoice, one settlement per payment.
CREATE UNIQUE INDEX reseller_balance_transactions_invoice ON reseller_balance_transactions (invoice_id) WHERE kind = 'invoice';
CREATE UNIQUE INDEX reseller_balance_transactions_payment ON reseller_balance_transactions (payment_id) WHERE kind = 'payment';
