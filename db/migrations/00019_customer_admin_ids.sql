-- X1: the reseller manages a customer's other system admins through the API, each addressed by an id of its own.
ALTER TABLE customer_admins ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE customer_admins ADD CONSTRAINT customer_admins_pkey PRIMARY KEY (id);
