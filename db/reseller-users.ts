// Who is told about a customer's lifecycle (P2, R1): its contact, and on the reseller's side the users of the
// customer's CURRENT reseller (customers.reseller_id, the one owner) who act on its purchases.
import type { Sql } from '.';

export interface NoticeRecipient {
  audience: 'customer' | 'reseller';
  /** Stable per recipient, part of each email's idempotency key: `customer` or `reseller-user:<id>`. */
  key: string;
  name: string;
  email: string;
}

export interface NoticeParties {
  customerId: string;
  organizationName: string;
  resellerId: string;
  resellerName: string;
  /**
   * The customer's contact first, then (T2) the reseller's users with the `order` or `admin` permission: those
   * who place orders and renewals and record payments. Not the PA's creator as such: a creator who has left, or
   * the old reseller of a customer that moved (X2), must not keep hearing about it.
   */
  recipients: NoticeRecipient[];
}

interface Row {
  customerId: string;
  organizationName: string;
  contactFirstName: string;
  contactEmail: string;
  resellerId: string;
  resellerName: string;
  userId: string | null;
  userEmail: string | null;
  userName: string | null;
}

/** The customer's contact and its current reseller's ordering users, read together; null when it is gone. */
export async function noticePartiesOf(sql: Sql, customerId: string): Promise<NoticeParties | null> {
  // One statement, so a reseller change cannot fall between reading the owner and reading its users.
  const rows = await sql<Row[]>`
    SELECT c.id AS customer_id, c.organization_name, c.contact_first_name, c.contact_email, c.reseller_id,
           r.name AS reseller_name, u.id AS user_id, u.email AS user_email, u.name AS user_name
    FROM customers c
    JOIN resellers r ON r.id = c.reseller_id
    LEFT JOIN reseller_users u ON u.reseller_id = c.reseller_id AND u.permissions && ARRAY['order', 'admin']::text[]
    WHERE c.id = ${customerId}
    ORDER BY u.created_at, u.id`;
  const [c] = rows;
  if (!c) return null;
  const users = rows.flatMap((r): NoticeRecipient[] =>
    r.userId && r.userEmail
      ? [
          {
            audience: 'reseller',
            key: `reseller-user:${r.userId}`,
            name: r.userName ?? r.userEmail,
            email: r.userEmail,
          },
        ]
      : [],
  );
  return {
    customerId: c.customerId,
    organizationName: c.organizationName,
    resellerId: c.resellerId,
    resellerName: c.resellerName,
    recipients: [{ audience: 'customer', key: 'customer', name: c.contactFirstName, email: c.contactEmail }, ...users],
  };
}
