import { priceInvoice } from '../db/billing';
import { applyPrices } from '../db/catalog';
import { prorate, remainingShare } from '../db/order-configuration';

// Deterministic pseudo-random cases, so a failure can be replayed.
function* cases(n: number, seed = 42): Generator<number> {
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    yield x;
  }
}

describe('money in integer minor units', () => {
  it('B2: a total is the sum of its lines and plan, less a discount rounded down; no cent lost or created', () => {
    const r = [...cases(3000)];
    for (let i = 0; i + 3 < r.length; i += 4) {
      const lines = [
        { driverCode: 'a', unitPriceMinor: r[i]! % 500_000 },
        { driverCode: 'b', unitPriceMinor: r[i + 1]! % 500_000 },
      ];
      const plan = r[i + 2]! % 300_000;
      const percent = r[i + 3]! % 101;
      const p = applyPrices(lines, plan, percent);
      expect(Number.isInteger(p.totalMinor) && Number.isInteger(p.discountMinor)).toBe(true);
      expect(p.subtotalMinor).toBe(lines[0]!.unitPriceMinor + lines[1]!.unitPriceMinor + plan);
      expect(p.totalMinor + p.discountMinor).toBe(p.subtotalMinor);
      expect(p.discountMinor).toBeLessThanOrEqual((p.subtotalMinor * percent) / 100);
      expect(p.discountMinor).toBeGreaterThan((p.subtotalMinor * percent) / 100 - 1);
    }
  });

  it('O6: proration charges at most the difference and credits at most what was paid', () => {
    const r = [...cases(3000, 7)];
    for (let i = 0; i + 2 < r.length; i += 3) {
      const delta = (r[i]! % 400_001) - 200_000;
      const period = 1 + (r[i + 1]! % 31_536_000_000);
      const share = { remaining: r[i + 2]! % (period + 1), period };
      const paid = r[i + 1]! % 300_000;
      const adj = prorate(delta, share, paid);
      expect(Number.isInteger(adj)).toBe(true);
      if (delta >= 0) {
        expect(adj).toBeGreaterThanOrEqual(0);
        expect(adj).toBeLessThanOrEqual(delta);
      } else {
        expect(adj).toBeLessThanOrEqual(0);
        expect(-adj).toBeLessThanOrEqual(Math.min(-delta, paid));
      }
    }
  });

  it('O6: the rest of an annual period is measured from the anniversary of activation', () => {
    const anchor = new Date('2026-01-15T00:00:00Z');
    const share = remainingShare('saas-annual', anchor, new Date('2027-07-16T00:00:00Z'));
    const end = Date.parse('2028-01-15T00:00:00Z');
    expect(share.remaining).toBe(end - Date.parse('2027-07-16T00:00:00Z'));
    expect(share.period).toBe(end - Date.parse('2027-01-15T00:00:00Z'));
    expect(remainingShare('perpetual', anchor, new Date())).toEqual({ remaining: 1, period: 1 });
  });

  it('B1 O6: an invoice adds its adjustments, takes the promo off the items and the reseller discount off the rest; no cent created', () => {
    const r = [...cases(4000, 11)];
    for (let i = 0; i + 3 < r.length; i += 4) {
      const itemsMinor = r[i]! % 500_000;
      const adjustmentsMinor = (r[i + 1]! % 400_001) - 200_000;
      const percentOff = r[i + 2]! % 101;
      const resellerPercent = r[i + 3]! % 101;
      const p = priceInvoice({ itemsMinor, percentOff, adjustmentsMinor, resellerPercent });
      expect(p.subtotalMinor).toBe(itemsMinor + adjustmentsMinor);
      expect(p.totalMinor).toBe(p.subtotalMinor - p.discountMinor);
      expect(p.promoDiscountMinor).toBe(Math.floor((itemsMinor * percentOff) / 100));
      const base = itemsMinor - p.promoDiscountMinor + adjustmentsMinor;
      // The reseller's share never exceeds its percentage of the base, for a charge or a credit alike.
      expect(Math.abs(p.discountMinor - p.promoDiscountMinor)).toBeLessThanOrEqual(
        (Math.abs(base) * resellerPercent) / 100,
      );
      expect(Math.sign(p.totalMinor)).toBe(base === 0 || resellerPercent === 100 ? 0 : Math.sign(base));
    }
    // Ordered 208.00 with a 10% promo, a reseller at 20%: 208.00 − 20.80 − 37.44.
    expect(priceInvoice({ itemsMinor: 20_800, percentOff: 10, adjustmentsMinor: 0, resellerPercent: 20 })).toEqual({
      subtotalMinor: 20_800,
      promoDiscountMinor: 2_080,
      discountMinor: 5_824,
      totalMinor: 14_976,
    });
  });
});
