-- Invoices keep what was ordered (B1, B2, O6): the plan's price and the promo's percentage as ordered, so a
-- cycle's invoice is never re-priced from today's list; a perpetual order is invoiced once; each driver-swap
-- adjustment is invoiced exactly once, and a lower-tier swap may be a credit.

-- The plan's price and the promo's percentage at the time of the order (a converted trial: of the conversion).
-- Rows placed before this migration: the plan is what the subtotal holds beyond the lines, the percentage the
-- discount's share of the subtotal.
ALTER TABLE orders ADD COLUMN plan_price_minor integer;
ALTER TABLE orders ADD COLUMN percent_off integer NOT NULL DEFAULT 0 CHECK (percent_off BETWEEN 0 AND 100);
UPDATE orders o SET
  plan_price_minor = greatest(o.subtotal_minor - coalesce((SELECT sum(l.unit_price_minor) FROM order_lines l WHERE l.order_id = o.id), 0), 0),
  percent_off = CASE WHEN o.subtotal_minor > 0 THEN round(o.discount_minor * 100.0 / o.subtotal_minor)::int ELSE 0 END;
ALTER TABLE orders ALTER COLUMN plan_price_minor SET NOT NULL;
ALTER TABLE orders ALTER COLUMN plan_price_minor SET DEFAULT 0;

-- What an invoice bills: a billing cycle (keyed by order and period), the one sale of a perpetual order, or a
-- driver-swap adjustment of an order already invoiced (keyed by the adjustment).
ALTER TABLE invoices ADD COLUMN purpose text NOT NULL DEFAULT 'cycle' CHECK (purpose IN ('cycle', 'perpetual', 'adjustment'));
CREATE UNIQUE INDEX invoices_one_perpetual_sale ON invoices (order_id) WHERE purpose = 'perpetual';
-- The promo's share of the discount (the rest is the reseller's, discount_percent).
ALTER TABLE invoices ADD COLUMN promo_discount_minor integer NOT NULL DEFAULT 0;

-- A credit (a lower-tier swap) makes a line, and possibly a whole invoice, negative: a credit note.
ALTER TABLE invoice_lines DROP CONSTRAINT invoice_lines_unit_price_minor_check;
ALTER TABLE invoices DROP CONSTRAINT invoices_subtotal_minor_check;
ALTER TABLE invoices DROP CONSTRAINT invoices_total_minor_check;
ALTER TABLE invoices DROP CONSTRAINT invoices_discount_minor_check;
ALTER TABLE reseller_balance_transactions DROP CONSTRAINT reseller_balance_transactions_check;
ALTER TABLE reseller_balance_transactions ADD CONSTRAINT reseller_balance_transactions_sign_check CHECK (
  (kind = 'invoice' AND payment_id IS NULL) OR (kind = 'payment' AND amount_minor < 0 AND payment_id IS NOT NULL));

-- O6: each adjustment is invoiced once; the invoice that carries it.
ALTER TABLE order_adjustments ADD COLUMN invoice_id uuid REFERENCES invoices (id);
CREATE INDEX order_adjustments_not_invoiced ON order_adjustments (order_id) WHERE invoice_id IS NULL;
