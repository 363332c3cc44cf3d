-- Every system admin of a customer (X1). The primary contact is one, kept in step by a trigger.
CREATE TABLE customer_admins (
  customer_id  uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
  email        text NOT NULL,
  first_name   text NOT NULL,
  last_name    text NOT NULL,
  is_primary   boolean NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX customer_admins_email ON customer_admins (customer_id, lower(email));
CREATE INDEX customer_admins_by_email ON customer_admins (lower(email));

CREATE FUNCTION customers_sync_primary_admin() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM customer_admins WHERE customer_id = NEW.id AND is_primary AND lower(email) <> lower(NEW.contact_email);
  INSERT INTO customer_admins (customer_id, email, first_name, last_name, is_primary)
  VALUES (NEW.id, NEW.contact_email, NEW.contact_first_name, NEW.contact_last_name, true)
  ON CONFLICT (customer_id, lower(email)) DO UPDATE SET is_primary = true;
  RETURN NEW;
END $$;
CREATE TRIGGER customers_sync_primary_admin AFTER INSERT OR UPDATE OF contact_email ON customers
  FOR EACH ROW EXECUTE FUNCTION customers_sync_primary_admin();
INSERT INTO customer_admins (customer_id, email, first_name, last_name, is_primary)
  SELECT id, contact_email, contact_first_name, contact_last_name, true FROM customers;

-- A reseller's request to take over a customer (X1-X4); one row is one code.
-- customer_id stays null when the VIP id and admin email matched nothing; the API answers the same.
CREATE TABLE reseller_change_requests (
  id                    uuid PRIMARY KEY,
  new_reseller_id       uuid NOT NULL REFERENCES resellers (id),
  requested_by          uuid NOT NULL REFERENCES reseller_users (id),
  vip_id                text NOT NULL,
  admin_email           text NOT NULL,
  customer_id           uuid REFERENCES customers (id) ON DELETE SET NULL,
  previous_reseller_id  uuid REFERENCES resellers (id),
  code_hash             bytea,
  status                text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'redeemed', 'expired', 'locked')),
  failed_attempts       integer NOT NULL DEFAULT 0,
  expires_at            timestamptz NOT NULL,
  redeemed_at           timestamptz,
  resent_from           uuid REFERENCES reseller_change_requests (id),
  created_at            timestamptz NOT NULL DEFAULT now()
);
-- X4 counts a reseller's codes of the last day.
CREATE INDEX reseller_change_requests_by_reseller ON reseller_change_requests (new_reseller_id, created_at DESC);
