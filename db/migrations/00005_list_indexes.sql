-- The lists order by (created_at DESC, id DESC): an index in exactly that order serves the keyset
-- cursor without an extra sort.
DROP INDEX customers_by_reseller;
CREATE INDEX customers_by_reseller ON customers (reseller_id, created_at DESC, id DESC);
DROP INDEX orders_by_reseller;
CREATE INDEX orders_by_reseller ON orders (reseller_id, created_at DESC, id DESC);
