-- T2: the license owner (`admin`) manages the reseller's users and their API keys; P2/D6: a purchase
-- authorization is paid by a payment with evidence, which enters the reseller's balance.

-- T2: an invited user is pending until it sets up its account through the emailed link; a deactivated user's keys
-- stop working. Users created before (the seed, tests) are active.
ALTER TABLE reseller_users
  ADD COLUMN status          text NOT NULL DEFAULT 'active' CHECK (status IN ('pending', 'active', 'deactivated')),
  ADD COLUMN password_hash   text,
  ADD COLUMN invited_by      uuid REFERENCES reseller_users (id),
  ADD COLUMN activated_at    timestamptz,
  ADD COLUMN deactivated_at  timestamptz,
  ADD COLUMN updated_at      timestamptz NOT NULL DEFAULT now();

-- T2/T3: the account-setup link of an invited user: a random token, stored hashed, single use, expiring. Kept apart
-- from access_tokens (the customer contacts' links): it opens a reseller user's account, not a customer's page.
CREATE TABLE user_setup_tokens (
  token_hash  bytea PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES reseller_users (id) ON DELETE CASCADE,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  -- A newer email's link replaces an unused one: its page says so.
  revoked_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_setup_tokens_by_user ON user_setup_tokens (user_id);

-- T2: keys are named, and show when they were last used (written at most once a minute per key).
ALTER TABLE api_keys
  ADD COLUMN name          text NOT NULL DEFAULT 'API key',
  ADD COLUMN last_used_at  timestamptz;
CREATE INDEX api_keys_by_user ON api_keys (user_id, created_at DESC);

-- P2: what a purchase authorization costs, when it was priced at creation; a payment must cover it.
ALTER TABLE purchase_authorizations
  ADD COLUMN amount_minor  integer CHECK (amount_minor > 0),
  ADD COLUMN currency      char(3),
  ADD CONSTRAINT purchase_authorizations_priced CHECK ((amount_minor IS NULL) = (currency IS NULL));

-- P2: a payment pays an invoice or a purchase authorization. Its evidence: the provider's event id (the signed
-- webhook) or the reference a billing user recorded, unique per reseller so one payment is never counted twice.
ALTER TABLE payments
  ALTER COLUMN invoice_id DROP NOT NULL,
  ALTER COLUMN provider_event_id DROP NOT NULL,
  ADD COLUMN purchase_authorization_id uuid REFERENCES purchase_authorizations (id),
  ADD COLUMN reference    text,
  ADD COLUMN recorded_by  text,
  ADD CONSTRAINT payments_pay_one CHECK ((invoice_id IS NULL) <> (purchase_authorization_id IS NULL)),
  ADD CONSTRAINT payments_evidence CHECK (provider_event_id IS NOT NULL OR reference IS NOT NULL);
CREATE UNIQUE INDEX payments_reference ON payments (reseller_id, reference) WHERE reference IS NOT NULL;
CREATE UNIQUE INDEX payments_one_per_purchase_authorization ON payments (purchase_authorization_id)
  WHERE purchase_authorization_id IS NOT NULL;

-- D6: a paid PA enters the balance as its charge and the payment that settles it.
ALTER TABLE reseller_balance_transactions
  ALTER COLUMN invoice_id DROP NOT NULL,
  ADD COLUMN purchase_authorization_id uuid REFERENCES purchase_authorizations (id);
ALTER TABLE reseller_balance_transactions DROP CONSTRAINT reseller_balance_transactions_kind_check;
ALTER TABLE reseller_balance_transactions ADD CONSTRAINT reseller_balance_transactions_kind_check
  CHECK (kind IN ('invoice', 'purchase_authorization', 'payment'));
ALTER TABLE reseller_balance_transactions DROP CONSTRAINT reseller_balance_transactions_sign_check;
ALTER TABLE reseller_balance_transactions ADD CONSTRAINT reseller_balance_transactions_sign_check CHECK (
  (kind = 'invoice' AND payment_id IS NULL AND invoice_id IS NOT NULL)
  OR (kind = 'purchase_authorization' AND payment_id IS NULL AND purchase_authorization_id IS NOT NULL
      AND amount_minor >= 0)
  OR (kind = 'payment' AND amount_minor < 0 AND payment_id IS NOT NULL));
CREATE UNIQUE INDEX reseller_balance_transactions_purchase_authorization
  ON reseller_balance_transactions (purchase_authorization_id) WHERE kind = 'purchase_authorization';
