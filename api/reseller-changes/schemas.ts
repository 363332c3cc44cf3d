import { z } from 'zod';
import { email, isoTime } from '../http/schemas';

// The reseller change's request and response shapes (X1-X4).

export const ResellerChangeCreateBody = z
  .object({
    vipId: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^VIP\d{10}$/, 'must be a VIP customer number such as VIP1000000001'),
    adminEmail: email,
  })
  .strict()
  .meta({ id: 'ResellerChangeCreate' });

export const RedeemBody = z
  .object({
    code: z
      .string()
      .trim()
      .min(6, 'is too short')
      .max(20, 'is too long')
      .regex(/^[0-9A-Za-z\s-]+$/, 'has characters a code never has'),
  })
  .strict()
  .meta({ id: 'ResellerChangeRedeem' });

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
