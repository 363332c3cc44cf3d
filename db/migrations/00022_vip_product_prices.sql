-- R4: a product's price per license and term in each price list, so VIP Select's discount reaches a price; the
-- discount a PA was priced with is kept beside its amount.
CREATE TABLE vip_product_prices (
  product       text NOT NULL REFERENCES vip_products (name) ON DELETE CASCADE,
  currency      char(3) NOT NULL REFERENCES price_lists (currency),
  amount_minor  bigint NOT NULL CHECK (amount_minor >= 0),
  PRIMARY KEY (product, currency)
);
ALTER TABLE purchase_authorizations ADD COLUMN vip_select_discount_percent integer
  CHECK (vip_select_discount_percent BETWEEN 0 AND 100);
