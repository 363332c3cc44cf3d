-- Purchase authorizations and renewals (DOMAIN.md P1-P5, R1-R5, C5, C6).

-- C6: an extended prepaid term chosen at signup (13-36 months commercial, 13-48 education/government).
-- R4: the VIP Select level reached; R5: a 3-year commitment (fixed quantity, yearly payments).
ALTER TABLE customers
  ADD COLUMN extended_term_months integer,
  ADD COLUMN extended_term_prepaid boolean NOT NULL DEFAULT false,
  ADD COLUMN vip_select_level integer,
  ADD COLUMN three_year_commitment_quantity integer CHECK (three_year_commitment_quantity > 0),
  ADD COLUMN three_year_committed_at timestamptz,
  ADD CONSTRAINT customers_c6_extended_term CHECK (
    extended_term_months IS NULL
    OR extended_term_months BETWEEN 13 AND CASE WHEN market_segment = 'commercial' THEN 36 ELSE 48 END),
  -- R5: not available to customers on an extended prepaid term, and only after VIP Select.
  ADD CONSTRAINT customers_r5_commitment CHECK (
    three_year_commitment_quantity IS NULL OR (extended_term_months IS NULL AND vip_select_level IS NOT NULL));

-- R4: VIP Select levels per segment: the licenses bought in a term that reach each level.
CREATE TABLE vip_select_levels (
  market_segment  text NOT NULL CHECK (market_segment IN ('commercial', 'government', 'education')),
  level           integer NOT NULL CHECK (level > 0),
  min_licenses    integer NOT NULL CHECK (min_licenses > 0),
  discount_percent integer NOT NULL CHECK (discount_percent BETWEEN 0 AND 100),
  PRIMARY KEY (market_segment, level)
);
INSERT INTO vip_select_levels (market_segment, level, min_licenses, discount_percent) VALUES
  ('commercial', 1, 10, 6), ('commercial', 2, 50, 10), ('commercial', 3, 100, 15),
  ('government', 1, 10, 8), ('government', 2, 50, 12), ('government', 3, 100, 18),
  ('education', 1, 10, 10), ('education', 2, 50, 15), ('education', 3, 100, 20);

-- P1-P5: a purchase authorization gives immediate access (its license row) before an order pays for it.
CREATE TABLE purchase_authorizations (
  id                 uuid PRIMARY KEY,
  reseller_id        uuid NOT NULL REFERENCES resellers (id),
  customer_id        uuid NOT NULL REFERENCES customers (id),
  product            text NOT NULL,
  quantity           integer NOT NULL CHECK (quantity > 0),
  licenses_assigned  integer NOT NULL DEFAULT 0 CHECK (licenses_assigned >= 0 AND licenses_assigned <= quantity),
  status             text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'ordered', 'paid', 'overdue', 'deactivated', 'cancelled', 'returned')),
  created_by         uuid NOT NULL REFERENCES reseller_users (id),
  created_at         timestamptz NOT NULL DEFAULT now(),
  ordered_at         timestamptz,
  paid_at            timestamptz,
  overdue_at         timestamptz,
  deactivated_at     timestamptz,
  cancelled_at       timestamptz,
  returned_at        timestamptz
);
CREATE INDEX purchase_authorizations_by_reseller ON purchase_authorizations (reseller_id, created_at DESC, id);
CREATE INDEX purchase_authorizations_by_customer ON purchase_authorizations (customer_id, status);
ALTER TABLE licenses ADD COLUMN purchase_authorization_id uuid REFERENCES purchase_authorizations (id);

-- R3: processed renewal orders, one per customer and anniversary.
CREATE TABLE renewal_orders (
  id                uuid PRIMARY KEY,
  reseller_id       uuid NOT NULL REFERENCES resellers (id),
  customer_id       uuid NOT NULL REFERENCES customers (id),
  renewal_date      date NOT NULL,
  timing            text NOT NULL CHECK (timing IN ('early', 'on_time', 'late')),
  quantity          integer NOT NULL CHECK (quantity > 0),
  term_months       integer NOT NULL CHECK (term_months > 0),
  term_starts_on    date NOT NULL,
  term_ends_on      date NOT NULL,
  created_by        text NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (customer_id, renewal_date)
);

-- C5: without a date picked at invitation, the anniversary is 12 months after the first accepted order
-- or the first purchase authorization, whichever came first; COALESCE keeps a date once set.
CREATE FUNCTION set_anniversary_on_first_purchase() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE customers SET anniversary_date = (NEW.created_at + interval '12 months')::date
  WHERE id = NEW.customer_id AND anniversary_date IS NULL;
  RETURN NEW;
END $$;
CREATE TRIGGER purchase_authorizations_c5 AFTER INSERT ON purchase_authorizations
  FOR EACH ROW EXECUTE FUNCTION set_anniversary_on_first_purchase();
-- A converted trial counts from its conversion.
CREATE FUNCTION set_anniversary_on_first_order() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE customers SET anniversary_date = (COALESCE(NEW.converted_at, NEW.created_at) + interval '12 months')::date
  WHERE id = NEW.customer_id AND anniversary_date IS NULL;
  RETURN NEW;
END $$;
CREATE TRIGGER orders_c5 AFTER INSERT OR UPDATE OF kind ON orders
  FOR EACH ROW WHEN (NEW.kind = 'order') EXECUTE FUNCTION set_anniversary_on_first_order();
