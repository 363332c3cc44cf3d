-- Issue 12, part 4: lifecycle events pushed to the portal backend as signed webhooks.
-- Every change a lifecycle makes writes its audit event in the same transaction as the change (db/audit.ts); a
-- trigger turns each into one delivery per subscribed endpoint of that reseller, in that same transaction: the
-- outbox. Nothing is lost (the rows commit with the change), and the order is the deliveries' id order.

CREATE TABLE webhook_endpoints (
  id          uuid PRIMARY KEY,
  reseller_id uuid NOT NULL REFERENCES resellers (id) ON DELETE CASCADE,
  url         text NOT NULL,
  -- The HMAC key the receiver checks signatures with; kept readable, as the engine signs with it (Stripe's model).
  secret      text NOT NULL,
  -- The event types delivered (audit actions such as 'invitation.accepted'); empty: every type.
  event_types text[] NOT NULL DEFAULT '{}',
  description text,
  status      text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
  created_by  uuid,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_by_reseller ON webhook_endpoints (reseller_id, created_at DESC);

CREATE TABLE webhook_deliveries (
  id              bigserial PRIMARY KEY,
  endpoint_id     uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  -- The event's id, the same for every endpoint it goes to: the receiver drops a repeat by it (Webhook-Id).
  event_id        uuid NOT NULL,
  audit_event_id  bigint NOT NULL,
  event_type      text NOT NULL,
  customer_id     uuid,
  payload         jsonb NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  last_status     integer,
  last_error      text,
  last_attempt_at timestamptz,
  delivered_at    timestamptz,
  failed_at       timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (endpoint_id, audit_event_id)
);
-- The delivery workflow's next one: the oldest pending delivery of its endpoint.
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (endpoint_id, id) WHERE status = 'pending';
-- The endpoint's deliveries listed by status, newest first.
CREATE INDEX webhook_deliveries_by_status ON webhook_deliveries (endpoint_id, status, id DESC);

-- The customer an audited entity belongs to, for ordering per customer and the payload.
CREATE FUNCTION audited_customer(entity_type text, entity_id uuid, before jsonb, after jsonb) RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT COALESCE(
    CASE entity_type
      WHEN 'customer' THEN entity_id
      WHEN 'order' THEN (SELECT customer_id FROM orders WHERE id = entity_id)
      WHEN 'billing_subscription' THEN (SELECT customer_id FROM billing_subscriptions WHERE order_id = entity_id)
      WHEN 'purchase_authorization' THEN (SELECT customer_id FROM purchase_authorizations WHERE id = entity_id)
      WHEN 'subscription' THEN (SELECT customer_id FROM subscriptions WHERE id = entity_id)
      WHEN 'reseller_change' THEN (SELECT customer_id FROM reseller_change_requests WHERE id = entity_id)
      WHEN 'invoice' THEN (SELECT customer_id FROM invoices WHERE id = entity_id)
    END,
    -- A deleted order's event keeps its customer in what it recorded.
    NULLIF(after ->> 'customerId', '')::uuid,
    NULLIF(before ->> 'customerId', '')::uuid
  )
$$;

CREATE FUNCTION enqueue_webhook_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  new_event_id uuid := gen_random_uuid();
  customer uuid;
  queued integer;
BEGIN
  -- The endpoints' own management is the reseller's admin's doing, not a lifecycle's: not delivered.
  IF NEW.entity_type = 'webhook_endpoint' THEN
    RETURN NULL;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM webhook_endpoints WHERE reseller_id = NEW.reseller_id AND status = 'enabled') THEN
    RETURN NULL;
  END IF;
  customer := audited_customer(NEW.entity_type, NEW.entity_id, NEW.before, NEW.after);
  INSERT INTO webhook_deliveries (endpoint_id, event_id, audit_event_id, event_type, customer_id, payload)
  SELECT e.id, new_event_id, NEW.id, NEW.action, customer,
         jsonb_build_object(
           'id', new_event_id,
           'type', NEW.action,
           'createdAt', to_char(NEW.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           'resellerId', NEW.reseller_id,
           'customerId', customer,
           'data', jsonb_build_object(
             'entityType', NEW.entity_type, 'entityId', NEW.entity_id, 'action', NEW.action,
             'actor', NEW.actor, 'before', NEW.before, 'after', NEW.after))
  FROM webhook_endpoints e
  WHERE e.reseller_id = NEW.reseller_id AND e.status = 'enabled'
    AND (cardinality(e.event_types) = 0 OR NEW.action = ANY (e.event_types));
  GET DIAGNOSTICS queued = ROW_COUNT;
  -- A wake-up for the worker's listener, sent when the transaction commits (and only then).
  IF queued > 0 THEN
    PERFORM pg_notify('webhook_deliveries', e.id || ':' || e.reseller_id)
    FROM webhook_endpoints e
    WHERE e.reseller_id = NEW.reseller_id AND e.status = 'enabled'
      AND (cardinality(e.event_types) = 0 OR NEW.action = ANY (e.event_types));
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER audit_events_to_webhooks AFTER INSERT ON audit_events
  FOR EACH ROW EXECUTE FUNCTION enqueue_webhook_deliveries();
