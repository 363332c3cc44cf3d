-- C7: what a purchase authorization buys comes from the catalog, each product a team or an enterprise license; a
-- customer buys either kind whatever type it started as. PAs stored before keep a null license type.
CREATE TABLE vip_products (
  name          text PRIMARY KEY,
  license_type  text NOT NULL CHECK (license_type IN ('team', 'enterprise'))
);
ALTER TABLE purchase_authorizations ADD COLUMN license_type text CHECK (license_type IN ('team', 'enterprise'));
