-- D1 "pending requests" / "overdue requests": one partial index per status, so each filter reads the tenant's
-- customers with such a PA by index only (overdue PAs are a few percent: the shared index made the overdue
-- filter probe the other status's entries for every customer it passed).
CREATE INDEX purchase_authorizations_pending ON purchase_authorizations (reseller_id, customer_id)
  WHERE status = 'pending';
CREATE INDEX purchase_authorizations_overdue ON purchase_authorizations (reseller_id, customer_id)
  WHERE status = 'overdue';
DROP INDEX purchase_authorizations_open;
