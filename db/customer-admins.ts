// X1: a customer's system admins. The primary contact is one, kept in step with the customer's contact by a
// trigger (migration 00002); the reseller adds the others, every one of whom gets a reseller-change code.
import { recordAudit } from './audit';
import type { Sql } from './index';

export interface CustomerAdminRow {
  id: string;
  customerId: string;
  email: string;
  firstName: string;
  lastName: string;
  isPrimary: boolean;
  createdAt: Date;
}

const columns = (sql: Sql) => sql`id, customer_id, email, first_name, last_name, is_primary, created_at`;

/** The customer's admins, the primary first; the caller has checked the customer is the reseller's (T1). */
export async function listCustomerAdmins(sql: Sql, customerId: string): Promise<CustomerAdminRow[]> {
  return sql<CustomerAdminRow[]>`
    SELECT ${columns(sql)} FROM customer_admins WHERE customer_id = ${customerId}
    ORDER BY is_primary DESC, created_at, lower(email)`;
}

/** Adds an admin, audited; 'exists' when the customer already has an admin with this address (any case). */
export async function addCustomerAdmin(
  sql: Sql,
  args: { resellerId: string; customerId: string; email: string; firstName: string; lastName: string; actor: string },
): Promise<{ outcome: 'added'; admin: CustomerAdminRow } | { outcome: 'exists'; admin: CustomerAdminRow }> {
  return sql.begin(async (tx) => {
    const [added] = await tx<CustomerAdminRow[]>`
      INSERT INTO customer_admins (customer_id, email, first_name, last_name)
      VALUES (${args.customerId}, ${args.email}, ${args.firstName}, ${args.lastName})
      ON CONFLICT (customer_id, lower(email)) DO NOTHING
      RETURNING ${columns(tx as unknown as Sql)}`;
    if (!added) {
      const [existing] = await tx<CustomerAdminRow[]>`
        SELECT ${columns(tx as unknown as Sql)} FROM customer_admins
        WHERE customer_id = ${args.customerId} AND lower(email) = lower(${args.email})`;
      return { outcome: 'exists' as const, admin: existing as CustomerAdminRow };
    }
    await recordAudit(tx, {
      resellerId: args.resellerId,
      entityType: 'customer',
      entityId: args.customerId,
      action: 'customer.admin_added',
      actor: args.actor,
      after: { email: added.email, firstName: added.firstName, lastName: added.lastName },
    });
    return { outcome: 'added' as const, admin: added };
  }) as Promise<{ outcome: 'added'; admin: CustomerAdminRow } | { outcome: 'exists'; admin: CustomerAdminRow }>;
}

/** Removes an admin other than the primary contact, audited. */
export async function removeCustomerAdmin(
  sql: Sql,
  args: { resellerId: string; customerId: string; adminId: string; actor: string },
): Promise<'removed' | 'primary' | 'not_found'> {
  return sql.begin(async (tx) => {
    const [admin] = await tx<CustomerAdminRow[]>`
      SELECT ${columns(tx as unknown as Sql)} FROM customer_admins
      WHERE id = ${args.adminId} AND customer_id = ${args.customerId} FOR UPDATE`;
    if (!admin) return 'not_found' as const;
    if (admin.isPrimary) return 'primary' as const;
    await tx`DELETE FROM customer_admins WHERE id = ${args.adminId}`;
    await recordAudit(tx, {
      resellerId: args.resellerId,
      entityType: 'customer',
      entityId: args.customerId,
      action: 'customer.admin_removed',
      actor: args.actor,
      before: { email: admin.email, firstName: admin.firstName, lastName: admin.lastName },
    });
    return 'removed' as const;
  }) as Promise<'removed' | 'primary' | 'not_found'>;
}
