import { z } from 'zod';
import { isoDate, isoTime, licenseQuantity, requestBody } from '../http/schemas';

// The renewals' request and response shapes (R1-R5, C5, C6).

/** R2, R5: how many licenses are renewed or committed. */
export const RenewalQuantityBody = requestBody('RenewalQuantity', {
  quantity: licenseQuantity,
});

export const RenewalLiveState = z
  .object({
    customerId: z.uuid(),
    anniversaryDate: isoDate,
    status: z.enum(['scheduled', 'upcoming', 'ready', 'late', 'renewed', 'expired']),
    noticesSent: z.number().int(),
    windowOpensAt: isoTime,
    windowClosesAt: isoTime,
    renewedQuantity: z.number().int().nullable(),
    nextAnniversaryDate: isoDate.nullable(),
  })
  .meta({ id: 'RenewalState' });

export const Renewal = z
  .object({
    customerId: z.uuid(),
    anniversaryDate: isoDate.nullable().meta({ description: 'C5' }),
    currentTermEndsOn: isoDate.nullable(),
    extendedTermMonths: z.number().int().nullable().meta({ description: 'C6' }),
    vipSelect: z
      .object({ level: z.number().int(), discountPercent: z.number().int().nullable() })
      .nullable()
      .meta({ description: 'R4' }),
    threeYearCommitment: z.object({ quantity: z.number().int() }).nullable().meta({ description: 'R5' }),
    renewal: RenewalLiveState.nullable().meta({ description: "The current term's live state (R1, R2)" }),
    history: z
      .array(
        z.object({
          id: z.uuid(),
          renewalDate: isoDate,
          timing: z.string().meta({ description: 'early, on_time or late' }),
          quantity: z.number().int(),
          termMonths: z.number().int(),
          termStartsOn: isoDate,
          termEndsOn: isoDate,
          createdBy: z.string(),
          createdAt: isoTime,
        }),
      )
      .meta({ description: 'R3' }),
  })
  .meta({ id: 'Renewal' });
