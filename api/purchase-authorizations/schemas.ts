import { z } from 'zod';
import { isoTime, licenseCount, licenseQuantity, requestBody } from '../http/schemas';

// The purchase authorizations' request and response shapes (P1-P5, C6).

/** P1: a purchase authorization for one of the reseller's customers; C6: an extended term at signup. */
export const PurchaseAuthorizationCreateBody = requestBody('PurchaseAuthorizationCreate', {
  customerId: z.uuid('must be the id of one of your customers'),
  product: z.string().trim().min(1, 'is required').max(120, 'must be at most 120 characters'),
  quantity: licenseQuantity,
  extendedTermMonths: z.number({ error: 'must be a number of months' }).int('must be a whole number').optional(),
});

export const PurchaseAuthorizationListQuery = z
  .object({ customerId: z.uuid('must be the id of one of your customers') })
  .strict();

export const AssignmentsBody = requestBody('PurchaseAuthorizationAssignments', {
  assigned: licenseCount(0),
});

export const PurchaseAuthorization = z
  .object({
    id: z.uuid(),
    customerId: z.uuid(),
    product: z.string(),
    quantity: z.number().int(),
    licensesAssigned: z.number().int(),
    status: z.string(),
    serialNumber: z.string().nullable(),
    licenseStatus: z.string().nullable(),
    createdAt: isoTime,
    orderedAt: isoTime.nullable(),
    paidAt: isoTime.nullable(),
  })
  .meta({ id: 'PurchaseAuthorization' });

/** The stored PA with its lifecycle's deadlines (P2, P4), while the run can still answer. */
export const PurchaseAuthorizationDetails = PurchaseAuthorization.extend({
  licensesActive: z.boolean(),
  overdueAt: isoTime.nullable(),
  deactivateAt: isoTime.nullable(),
  returnableUntil: isoTime.nullable(),
}).meta({ id: 'PurchaseAuthorizationDetails' });

/** P5: the plans view of one customer. */
export const Plans = z
  .object({
    data: z.array(PurchaseAuthorization),
    plans: z.object({
      fulfilled: z.number().int(),
      pending: z.number().int(),
      assigned: z.number().int().meta({ description: 'Total active' }),
      unassigned: z.number().int().meta({ description: 'Total available' }),
    }),
  })
  .meta({ id: 'PurchaseAuthorizationPlans' });
