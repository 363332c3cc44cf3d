-- Tenancy (DOMAIN.md T1, T2): resellers, their users and the users' API keys.
CREATE TABLE resellers (
  id          uuid PRIMARY KEY,
  name        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reseller_users (
  id           uuid PRIMARY KEY,
  reseller_id  uuid NOT NULL REFERENCES resellers (id),
  email        text NOT NULL,
  name         text NOT NULL,
  permissions  text[] NOT NULL DEFAULT '{}'
               CHECK (permissions <@ ARRAY['order', 'billing', 'admin']::text[]),
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX reseller_users_email ON reseller_users (reseller_id, lower(email));

-- A key is shown once; only its SHA-256 is kept (it is 256 random bits, so a slow hash adds nothing).
CREATE TABLE api_keys (
  id          uuid PRIMARY KEY,
  user_id     uuid NOT NULL REFERENCES reseller_users (id),
  prefix      text NOT NULL UNIQUE,
  key_hash    bytea NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

-- Customers and their invitation (DOMAIN.md C1-C5, C8).
CREATE SEQUENCE vip_number START 1000000001;

CREATE TABLE customers (
  id                       uuid PRIMARY KEY,
  reseller_id              uuid NOT NULL REFERENCES resellers (id),
  vip_id                   text NOT NULL UNIQUE,
  organization_name        text NOT NULL,
  organization_name_ascii  text NOT NULL,
  market_segment           text NOT NULL CHECK (market_segment IN ('commercial', 'government', 'education')),
  customer_type            text NOT NULL CHECK (customer_type IN ('team', 'enterprise')),
  country                  char(2) NOT NULL,
  address_line1            text NOT NULL,
  address_line2            text,
  city                     text NOT NULL,
  postal_code              text NOT NULL,
  tax_id                   text,
  contact_first_name       text NOT NULL,
  contact_last_name        text NOT NULL,
  contact_email            text NOT NULL,
  invitation_status        text NOT NULL DEFAULT 'pending' CHECK (invitation_status IN ('pending', 'accepted')),
  invited_at               timestamptz NOT NULL DEFAULT now(),
  accepted_at              timestamptz,
  anniversary_date         date,
  created_by               uuid REFERENCES reseller_users (id),
  created_at               timestamptz NOT NULL DEFAULT now(),
  updated_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customers_by_reseller ON customers (reseller_id, created_at DESC, id);
CREATE INDEX customers_by_contact_email ON customers (lower(contact_email));
-- C4: one primary admin email cannot accept for two customers with exactly the same organization name.
CREATE UNIQUE INDEX customers_c4_admin_per_organization
  ON customers (lower(contact_email), organization_name) WHERE invitation_status = 'accepted';

-- C5: once set, the anniversary date never changes, whoever writes.
CREATE FUNCTION customers_anniversary_is_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.anniversary_date IS NOT NULL AND NEW.anniversary_date IS DISTINCT FROM OLD.anniversary_date THEN
    RAISE EXCEPTION 'anniversary date % is fixed once set (C5)', OLD.anniversary_date USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER customers_anniversary_is_fixed BEFORE UPDATE ON customers
  FOR EACH ROW EXECUTE FUNCTION customers_anniversary_is_fixed();

-- Products a customer holds; a customer with any cannot be deleted (C3, C8). Filled by the order lifecycle.
CREATE TABLE licenses (
  id             uuid PRIMARY KEY,
  reseller_id    uuid NOT NULL REFERENCES resellers (id),
  customer_id    uuid NOT NULL REFERENCES customers (id),
  serial_number  text NOT NULL UNIQUE,
  product        text NOT NULL,
  status         text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX licenses_by_customer ON licenses (customer_id);

-- Single-purpose links for customer contacts (T3): random tokens, stored hashed, expiring, single use.
CREATE TABLE access_tokens (
  token_hash   bytea PRIMARY KEY,
  purpose      text NOT NULL CHECK (purpose IN ('invitation')),
  customer_id  uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  email        text NOT NULL,
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX access_tokens_by_customer ON access_tokens (customer_id, purpose);

-- Every email under its idempotency key, recorded before and after it is sent: a retry never sends twice.
CREATE TABLE email_log (
  idempotency_key  text PRIMARY KEY,
  template         text NOT NULL,
  to_address       text NOT NULL,
  subject          text NOT NULL,
  status           text NOT NULL CHECK (status IN ('sending', 'sent')),
  attempts         integer NOT NULL DEFAULT 0,
  message_id       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  sent_at          timestamptz
);

-- Idempotency-Key of creating requests: the same key answers with the same resource.
CREATE TABLE idempotency_keys (
  reseller_id   uuid NOT NULL REFERENCES resellers (id),
  key           text NOT NULL,
  request_hash  text NOT NULL,
  resource_id   uuid NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (reseller_id, key)
);

-- Who changed what and when, written in the same transaction as the change.
CREATE TABLE audit_events (
  id           bigserial PRIMARY KEY,
  reseller_id  uuid NOT NULL,
  entity_type  text NOT NULL,
  entity_id    uuid NOT NULL,
  action       text NOT NULL,
  actor        text NOT NULL,
  before       jsonb,
  after        jsonb,
  at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_by_entity ON audit_events (entity_type, entity_id, id);
