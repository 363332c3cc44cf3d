-- T3, O7, X2 (issue 10): emailed links and reseller-change codes are random, stored hashed, single use and
-- expiring; nothing derives them from a secret any more. Each one belongs to the email that carried it
-- (email_key, the email_log key): a retried email activity that has not sent yet issues a new one and retires
-- the one it had issued, so only the link actually sent works, and a link page can say why an old one does not.

-- License activation links (O4, O7) join the other contact links: one table, one way to issue and spend them.
ALTER TABLE access_tokens ADD COLUMN license_id uuid REFERENCES licenses (id) ON DELETE CASCADE;
ALTER TABLE access_tokens ADD COLUMN email_key text;
-- C3/T3: a link replaced by a newer one: sent again by a retried email, or to a corrected contact address.
ALTER TABLE access_tokens ADD COLUMN revoked_at timestamptz;
ALTER TABLE access_tokens ADD COLUMN revoked_reason text
  CHECK (revoked_reason IN ('resent', 'contact_email_changed'));
ALTER TABLE access_tokens ADD CONSTRAINT access_tokens_revoked CHECK ((revoked_at IS NULL) = (revoked_reason IS NULL));
ALTER TABLE access_tokens DROP CONSTRAINT access_tokens_purpose_check;
ALTER TABLE access_tokens ADD CONSTRAINT access_tokens_purpose_check
  CHECK (purpose IN ('invitation', 'subscription_contact', 'license_activation'));
ALTER TABLE access_tokens DROP CONSTRAINT access_tokens_owner;
ALTER TABLE access_tokens ADD CONSTRAINT access_tokens_owner CHECK (
  (purpose = 'invitation' AND customer_id IS NOT NULL)
  OR (purpose = 'subscription_contact' AND subscription_id IS NOT NULL)
  OR (purpose = 'license_activation' AND license_id IS NOT NULL));
-- One live link per email: the one its last attempt issued.
CREATE UNIQUE INDEX access_tokens_live_per_email ON access_tokens (email_key) WHERE revoked_at IS NULL;
CREATE INDEX access_tokens_by_license ON access_tokens (license_id) WHERE license_id IS NOT NULL;

-- Links already mailed keep working until they expire or are used (no email_key: a retry issues a new one).
INSERT INTO access_tokens (token_hash, purpose, license_id, email, expires_at, used_at, created_at)
  SELECT t.token_hash, 'license_activation', t.license_id, c.contact_email, t.expires_at, t.used_at, t.created_at
  FROM license_activation_tokens t JOIN licenses l ON l.id = t.license_id JOIN customers c ON c.id = l.customer_id;
DROP TABLE license_activation_tokens;

-- X1/X2: each admin's email carries a code of its own; any of them redeems the request, once.
CREATE TABLE reseller_change_codes (
  email_key    text PRIMARY KEY,
  request_id   uuid NOT NULL REFERENCES reseller_change_requests (id) ON DELETE CASCADE,
  admin_email  text NOT NULL,
  code_hash    bytea NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX reseller_change_codes_by_request ON reseller_change_codes (request_id, code_hash);
-- The codes derived from TOKEN_SECRET are not carried over: anyone knowing the secret could compute them.
-- A pending request sent before this migration cannot be redeemed; it expires at its deadline and the reseller
-- sends a new code (X3).
ALTER TABLE reseller_change_requests DROP COLUMN code_hash;
