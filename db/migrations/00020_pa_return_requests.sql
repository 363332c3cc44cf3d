-- P4: a return is a request, processed after PA_RETURN_PROCESSING; until then the PA is return_requested.
ALTER TABLE purchase_authorizations DROP CONSTRAINT purchase_authorizations_status_check;
ALTER TABLE purchase_authorizations ADD CONSTRAINT purchase_authorizations_status_check
  CHECK (status IN ('pending', 'ordered', 'paid', 'overdue', 'deactivated', 'cancelled', 'return_requested', 'returned'));
ALTER TABLE purchase_authorizations ADD COLUMN return_requested_at timestamptz;
