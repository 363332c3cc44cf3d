import { z } from 'zod';
import { email, isoTime, requestBody, SPACE } from '../http/schemas';

// The reseller change's request and response shapes (X1-X4).

export const ResellerChangeCreateBody = requestBody('ResellerChangeCreate', {
  vipId: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^VIP\d{10}$/, 'must be a VIP customer number such as VIP1000000001')
    .meta({ pattern: `^[${SPACE}]*[Vv][Ii][Pp][0-9]{10}[${SPACE}]*$` }),
  adminEmail: email,
});

export const RedeemBody = requestBody('ResellerChangeRedeem', {
  code: z
    .string()
    .trim()
    .min(6, 'is too short')
    .max(20, 'is too long')
    .regex(/^[0-9A-Za-z\s-]+$/, 'has characters a code never has')
    // As sent, before the trim: 6 to 20 characters from the first to the last that is not a space.
    .meta({ pattern: `^[${SPACE}]*[0-9A-Za-z-][0-9A-Za-z${SPACE}-]{4,18}[0-9A-Za-z-][${SPACE}]*$` }),
});

export const ResellerChange = z
  .object({
    id: z.uuid(),
    vipId: z.string(),
    adminEmail: z.string(),
    status: z.enum(['pending', 'redeemed', 'expired', 'locked']),
    expiresAt: isoTime,
    redeemedAt: isoTime.nullable(),
    customerId: z.uuid().nullable().meta({ description: 'Set once the customer has moved to you.' }),
    resentFrom: z.uuid().nullable(),
  })
  .meta({ id: 'ResellerChange' });
