-- T4: support staff are the engine's operators. They sign in with an API key like reseller users, as users
-- of an operator row in resellers, and hold the `support` permission (and no `order` or `billing`).
ALTER TABLE reseller_users DROP CONSTRAINT reseller_users_permissions_check;
ALTER TABLE reseller_users ADD CONSTRAINT reseller_users_permissions_check
  CHECK (permissions <@ ARRAY['order', 'billing', 'admin', 'support']::text[]);
