// Reseller users and a customer's owner, for tests of who is told (P2, R1) and who owns what is written (one owner).
import { randomUUID } from 'node:crypto';
import type { Sql } from '../../db';
import type { Permission } from '../../db/api-keys';

export async function userEmailOf(sql: Sql, userId: string): Promise<string> {
  const [u] = await sql<{ email: string }[]>`SELECT email FROM reseller_users WHERE id = ${userId}`;
  if (!u) throw new Error(`no reseller user ${userId}`);
  return u.email;
}

/** Another user of a reseller, with the given permissions (T2). */
export async function addResellerUser(sql: Sql, resellerId: string, permissions: Permission[]) {
  const id = randomUUID();
  const email = `user-${id.slice(0, 8)}@reseller.test`;
  await sql`INSERT INTO reseller_users (id, reseller_id, email, name, permissions)
            VALUES (${id}, ${resellerId}, ${email}, ${`User ${id.slice(0, 8)}`}, ${permissions})`;
  return { userId: id, email };
}

/**
 * The customer and its live rows move to another reseller in one transaction, as a redeemed reseller change
 * does (X2); stands in for that lifecycle, which is tested on its own.
 */
export async function moveCustomer(sql: Sql, customerId: string, resellerId: string): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`UPDATE customers SET reseller_id = ${resellerId}, managed_by = NULL WHERE id = ${customerId}`;
    await tx`UPDATE purchase_authorizations SET reseller_id = ${resellerId} WHERE customer_id = ${customerId}`;
    await tx`UPDATE licenses SET reseller_id = ${resellerId} WHERE customer_id = ${customerId}`;
    await tx`UPDATE orders SET reseller_id = ${resellerId} WHERE customer_id = ${customerId}`;
  });
}
