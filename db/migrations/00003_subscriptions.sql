-- Per-user customer subscriptions (DOMAIN.md E1-E3).
CREATE TABLE subscriptions (
  id                            uuid PRIMARY KEY,
  reseller_id                   uuid NOT NULL REFERENCES resellers (id),
  -- E1 asks for the company name only; an existing customer of the same reseller may be linked.
  customer_id                   uuid REFERENCES customers (id) ON DELETE SET NULL,
  product                       text NOT NULL CHECK (product IN ('signatures-microsoft-365', 'signatures-google-workspace')),
  company_name                  text NOT NULL,
  users                         integer NOT NULL CHECK (users BETWEEN 1 AND 100000),
  status                        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
  customer_can_edit_signatures  boolean NOT NULL,
  -- The product setting the customer's contact may change (E2); never billing.
  signature_template            text NOT NULL DEFAULT '',
  created_by                    uuid REFERENCES reseller_users (id),
  created_at                    timestamptz NOT NULL DEFAULT now(),
  updated_at                    timestamptz NOT NULL DEFAULT now()
);
-- E3: the list is per tenant, filtered by status, newest first by keyset.
CREATE INDEX subscriptions_by_reseller ON subscriptions (reseller_id, status, created_at DESC, id);

-- E2: the contact who edits signatures; the username is the email. No password until the link is used.
CREATE TABLE subscription_contacts (
  id               uuid PRIMARY KEY,
  subscription_id  uuid NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
  email            text NOT NULL,
  name             text NOT NULL,
  phone            text,
  password_hash    text,
  setup_at         timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX subscription_contacts_email ON subscription_contacts (subscription_id, lower(email));
CREATE INDEX subscription_contacts_by_email ON subscription_contacts (lower(email));

-- A contact's signed-in session (T3: random, stored hashed, expiring); it reaches the product only.
CREATE TABLE contact_sessions (
  token_hash  bytea PRIMARY KEY,
  contact_id  uuid NOT NULL REFERENCES subscription_contacts (id) ON DELETE CASCADE,
  expires_at  timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contact_sessions_by_contact ON contact_sessions (contact_id);

-- The contact's account-setup link reuses the single-purpose links of T3; it belongs to a
-- subscription, which may have no customer record.
ALTER TABLE access_tokens DROP CONSTRAINT access_tokens_purpose_check;
ALTER TABLE access_tokens ADD CONSTRAINT access_tokens_purpose_check CHECK (purpose IN ('invitation', 'subscription_contact'));
ALTER TABLE access_tokens ALTER COLUMN customer_id DROP NOT NULL;
ALTER TABLE access_tokens ADD COLUMN subscription_id uuid REFERENCES subscriptions (id) ON DELETE CASCADE;
ALTER TABLE access_tokens ADD CONSTRAINT access_tokens_owner CHECK (
  (purpose = 'invitation' AND customer_id IS NOT NULL) OR (purpose = 'subscription_contact' AND subscription_id IS NOT NULL));
CREATE INDEX access_tokens_by_subscription ON access_tokens (subscription_id) WHERE subscription_id IS NOT NULL;
