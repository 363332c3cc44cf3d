-- O6 "configure": swapping drivers charges the prorated difference of a higher tier; a lower tier
-- gives back at most what was paid. Each change is one signed adjustment (positive: charged).
CREATE TABLE order_adjustments (
  id             bigserial PRIMARY KEY,
  order_id       uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  amount_minor   integer NOT NULL,
  reason         text NOT NULL,
  created_by     uuid NOT NULL REFERENCES reseller_users (id),
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_adjustments_by_order ON order_adjustments (order_id, id);
