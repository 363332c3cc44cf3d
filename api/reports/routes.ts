import type { z } from 'zod';
import { purchaseAuthorizationTerms } from '../../config/terms';
import {
  type ExpiringLicenseRow,
  type ExpiringSubscriptionRow,
  listExpiringLicenses,
  listExpiringSubscriptions,
} from '../../db/reports';
import { durationMs } from '../../workflows/duration';
import { CSV_PAGE, type CsvColumns, csvExport } from '../http/csv';
import { type Api, defineRoute, json, stream } from '../http/define-route';
import type { AppDeps } from '../http/deps';
import { listRoute } from '../http/route-kinds';
import {
  DEFAULT_WINDOW_DAYS,
  type ExpiringLicense,
  ExpiringLicenseList,
  type ExpiringSubscription,
  ExpiringSubscriptionList,
  LICENSE_REASONS,
  MAX_WINDOW_DAYS,
  ReportExportQuery,
  ReportQuery,
  reportWindow,
  SUBSCRIPTION_REASONS,
} from './schemas';

// D5: reports of expiring licenses (trials, suspended, deactivated by a purchase authorization, up for renewal) and
// of expiring subscriptions, in a window of days, as JSON pages and as CSV. Read views of the state the lifecycles
// keep in Postgres; every reseller user may read them, like the customer list.

const customerOf = (r: { customerId: string; vipId: string; organizationName: string }) => ({
  id: r.customerId,
  vipId: r.vipId,
  organizationName: r.organizationName,
});

const toLicenseJson = (r: ExpiringLicenseRow): z.infer<typeof ExpiringLicense> => ({
  reason: r.reason,
  at: r.at.toISOString(),
  licenseId: r.licenseId,
  serialNumber: r.serialNumber,
  product: r.product,
  licenseStatus: r.licenseStatus,
  customer: customerOf(r),
  orderId: r.orderId,
  purchaseAuthorizationId: r.purchaseAuthorizationId,
});

const toSubscriptionJson = (r: ExpiringSubscriptionRow): z.infer<typeof ExpiringSubscription> => ({
  kind: r.kind,
  id: r.id,
  reason: r.reason,
  at: r.at.toISOString(),
  product: r.product,
  companyName: r.companyName,
  customer:
    r.customerId && r.vipId && r.organizationName
      ? customerOf({ customerId: r.customerId, vipId: r.vipId, organizationName: r.organizationName })
      : null,
  serialNumber: r.serialNumber,
  cycle: r.cycle,
  users: r.users,
});

const LICENSE_COLUMNS: CsvColumns<ExpiringLicenseRow> = [
  ['Reason', (r) => r.reason],
  ['Date', (r) => r.at.toISOString()],
  ['Serial number', (r) => r.serialNumber],
  ['Product', (r) => r.product],
  ['License status', (r) => r.licenseStatus],
  ['VIP id', (r) => r.vipId],
  ['Customer', (r) => r.organizationName],
  ['Order id', (r) => r.orderId],
  ['Purchase authorization id', (r) => r.purchaseAuthorizationId],
  ['Customer id', (r) => r.customerId],
  ['License id', (r) => r.licenseId],
];

const SUBSCRIPTION_COLUMNS: CsvColumns<ExpiringSubscriptionRow> = [
  ['Kind', (r) => r.kind],
  ['Reason', (r) => r.reason],
  ['Date', (r) => r.at.toISOString()],
  ['Product', (r) => r.product],
  ['Company', (r) => r.companyName],
  ['VIP id', (r) => r.vipId],
  ['Serial number', (r) => r.serialNumber],
  ['Cycle', (r) => r.cycle],
  ['Users', (r) => r.users],
  ['Customer id', (r) => r.customerId],
  ['Id', (r) => r.id],
];

const reasons = (meanings: Record<string, string>) =>
  Object.entries(meanings)
    .map(([reason, meaning]) => `- \`${reason}\`: ${meaning}`)
    .join('\n');

const WINDOW =
  `The window: \`from\` (a date, UTC; today by default) to \`to\` (included), or \`withinDays\` after \`from\` ` +
  `(${DEFAULT_WINDOW_DAYS} by default); at most ${MAX_WINDOW_DAYS} days. A window in the past lists what lapsed ` +
  'then. Soonest first.';

export function reportRoutes(api: Api, { sql, config }: AppDeps): void {
  const deactivateAfterMs = durationMs(purchaseAuthorizationTerms(config).deactivateAfter);
  const licenses = (resellerId: string, query: z.infer<typeof ReportExportQuery>) => {
    const window = reportWindow(query);
    return (page: { limit: number; after?: { createdAt: string; id: string } }) =>
      listExpiringLicenses(sql, resellerId, window, { deactivateAfterMs, ...page });
  };
  const subscriptions = (resellerId: string, query: z.infer<typeof ReportExportQuery>) => {
    const window = reportWindow(query);
    return (page: { limit: number; after?: { createdAt: string; id: string } }) =>
      listExpiringSubscriptions(sql, resellerId, window, page);
  };
  const afterRow = (row?: { cursorAt: string; id: string }) =>
    row ? { createdAt: row.cursorAt, id: row.id } : undefined;

  const licenseDescription = `Each row is a license, with the reason it is listed:\n${reasons(LICENSE_REASONS)}\n\nA license may be listed for more than one reason. ${WINDOW}`;
  listRoute(api, {
    path: '/v1/reports/expiring-licenses',
    summary: 'Expiring licenses: trials, suspended, deactivated by a purchase authorization, up for renewal (D5)',
    description: licenseDescription,
    query: ReportQuery,
    response: json('A page of expiring licenses, soonest first', ExpiringLicenseList),
    errors: [422],
    list: (principal, { limit, after, ...window }) => licenses(principal.resellerId, window)({ limit, after }),
    toJson: toLicenseJson,
  });
  defineRoute(api, {
    method: 'get',
    path: '/v1/reports/expiring-licenses.csv',
    summary: 'The report of expiring licenses, for the same window, as CSV (D5)',
    description: licenseDescription,
    query: ReportExportQuery,
    responses: {
      200: stream('Every row of the report after a header row (UTF-8 with BOM); an attachment', 'text/csv', {
        'Content-Disposition': 'attachment; filename="expiring-licenses-YYYY-MM-DD.csv"',
      }),
    },
    errors: [422],
    handler: async ({ req, principal, query }) => {
      const page = licenses(principal.resellerId, query);
      return csvExport(req, {
        filename: 'expiring-licenses',
        columns: LICENSE_COLUMNS,
        page: (after?: ExpiringLicenseRow) => page({ limit: CSV_PAGE, after: afterRow(after) }),
      });
    },
  });

  const subscriptionDescription = `Each row is a subscription, with the reason it is listed:\n${reasons(SUBSCRIPTION_REASONS)}\n\n${WINDOW}`;
  listRoute(api, {
    path: '/v1/reports/expiring-subscriptions',
    summary: 'Expiring subscriptions: billing and per-user, by next payment, suspension or cancellation (D5)',
    description: subscriptionDescription,
    query: ReportQuery,
    response: json('A page of expiring subscriptions, soonest first', ExpiringSubscriptionList),
    errors: [422],
    list: (principal, { limit, after, ...window }) => subscriptions(principal.resellerId, window)({ limit, after }),
    toJson: toSubscriptionJson,
  });
  defineRoute(api, {
    method: 'get',
    path: '/v1/reports/expiring-subscriptions.csv',
    summary: 'The report of expiring subscriptions, for the same window, as CSV (D5)',
    description: subscriptionDescription,
    query: ReportExportQuery,
    responses: {
      200: stream('Every row of the report after a header row (UTF-8 with BOM); an attachment', 'text/csv', {
        'Content-Disposition': 'attachment; filename="expiring-subscriptions-YYYY-MM-DD.csv"',
      }),
    },
    errors: [422],
    handler: async ({ req, principal, query }) => {
      const page = subscriptions(principal.resellerId, query);
      return csvExport(req, {
        filename: 'expiring-subscriptions',
        columns: SUBSCRIPTION_COLUMNS,
        page: (after?: ExpiringSubscriptionRow) => page({ limit: CSV_PAGE, after: afterRow(after) }),
      });
    },
  });
}
