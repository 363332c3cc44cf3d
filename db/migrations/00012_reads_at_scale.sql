-- The portal's reads at scale (DOMAIN.md D1, D3, D6): 100k customers, 1M licenses per reseller.

-- D3 and the D1 `q` filter: trigram indexes serve both ILIKE '%…%' and the typo-tolerant word similarity
-- (`q <% name`), so neither scans the table.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
-- D3 matches word by word; a one-letter typo in a six-letter word keeps half its trigrams, so 0.5 (not 0.6).
DO $$ BEGIN
  EXECUTE format('ALTER DATABASE %I SET pg_trgm.word_similarity_threshold = 0.5', current_database());
END $$;
CREATE INDEX customers_name_trgm ON customers USING gin (organization_name gin_trgm_ops);
CREATE INDEX customers_name_ascii_trgm ON customers USING gin (organization_name_ascii gin_trgm_ops);
CREATE INDEX customers_vip_id_trgm ON customers USING gin (vip_id gin_trgm_ops);
CREATE INDEX customers_contact_email_trgm ON customers USING gin (contact_email gin_trgm_ops);
CREATE INDEX orders_po_number_trgm ON orders USING gin (po_number gin_trgm_ops);
CREATE INDEX licenses_serial_number_trgm ON licenses USING gin (serial_number gin_trgm_ops);
CREATE INDEX invoices_number_trgm ON invoices USING gin (number gin_trgm_ops);
-- P5: the plans view joins each PA to its license.
CREATE INDEX licenses_by_purchase_authorization ON licenses (purchase_authorization_id) WHERE purchase_authorization_id IS NOT NULL;
-- D1 "no products" and D7 plans probe a customer's licenses; orders_by_customer is sorted for D7's history.
DROP INDEX orders_by_customer;
CREATE INDEX orders_by_customer ON orders (customer_id, created_at DESC, id DESC);

-- D6: the balance per currency, kept by the database as transactions are written, so reading it does not sum
-- every invoice and payment the reseller ever had. Statement triggers: a bulk insert updates it once.
-- bigint: a large reseller's lifetime invoices overflow an integer of minor units.
CREATE TABLE reseller_balances (
  reseller_id   uuid NOT NULL REFERENCES resellers (id),
  currency      char(3) NOT NULL,
  amount_minor  bigint NOT NULL,
  PRIMARY KEY (reseller_id, currency)
);
CREATE FUNCTION reseller_balances_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO reseller_balances AS b (reseller_id, currency, amount_minor)
    SELECT reseller_id, currency, sum(amount_minor) FROM new_rows GROUP BY reseller_id, currency
    ON CONFLICT (reseller_id, currency) DO UPDATE SET amount_minor = b.amount_minor + EXCLUDED.amount_minor;
  END IF;
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    INSERT INTO reseller_balances AS b (reseller_id, currency, amount_minor)
    SELECT reseller_id, currency, -sum(amount_minor) FROM old_rows GROUP BY reseller_id, currency
    ON CONFLICT (reseller_id, currency) DO UPDATE SET amount_minor = b.amount_minor + EXCLUDED.amount_minor;
  END IF;
  RETURN NULL;
END $$;
-- A trigger with transition tables takes one event each.
CREATE TRIGGER reseller_balances_on_insert AFTER INSERT ON reseller_balance_transactions
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reseller_balances_apply();
CREATE TRIGGER reseller_balances_on_update AFTER UPDATE ON reseller_balance_transactions
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reseller_balances_apply();
CREATE TRIGGER reseller_balances_on_delete AFTER DELETE ON reseller_balance_transactions
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reseller_balances_apply();
INSERT INTO reseller_balances (reseller_id, currency, amount_minor)
  SELECT reseller_id, currency, sum(amount_minor) FROM reseller_balance_transactions GROUP BY reseller_id, currency;
