-- The portal's views (DOMAIN.md D1, D3, D7).

-- D1/D7 "managed by": the reseller's team member assigned to the customer; cleared when the customer moves
-- to another reseller (X2), so it never names another tenant's user.
ALTER TABLE customers ADD COLUMN managed_by uuid REFERENCES reseller_users (id);
-- D1 "managed by me": the reseller's customers of one team member, newest first as the list orders them.
CREATE INDEX customers_by_manager ON customers (reseller_id, managed_by, created_at DESC, id DESC) WHERE managed_by IS NOT NULL;
-- D1 "pending requests" / "overdue requests": the open PAs of a reseller.
CREATE INDEX purchase_authorizations_open ON purchase_authorizations (reseller_id, customer_id)
  WHERE status IN ('pending', 'overdue');
-- D3: serial numbers (and the D1 "no products" test) within one tenant.
CREATE INDEX licenses_by_reseller ON licenses (reseller_id, serial_number);
