// Calendar arithmetic shared by workflows, activities and the database layer. Plain Date arithmetic in
// UTC, so it is deterministic inside a workflow; no Node built-ins.

/** Adds calendar months, clamped to the month's last day (Jan 31 + 1 month = Feb 28/29); time of day kept. */
export function addCalendarMonths(from: Date, months: number): Date {
  const y = from.getUTCFullYear();
  const m = from.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return new Date(
    Date.UTC(
      y,
      m,
      Math.min(from.getUTCDate(), lastDay),
      from.getUTCHours(),
      from.getUTCMinutes(),
      from.getUTCSeconds(),
      from.getUTCMilliseconds(),
    ),
  );
}

/** The same for a calendar date (YYYY-MM-DD). */
export function addMonths(date: string, months: number): string {
  return addCalendarMonths(new Date(`${date}T00:00:00Z`), months)
    .toISOString()
    .slice(0, 10);
}

export const iso = (t: number | Date | null): string | null => (t === null ? null : new Date(t).toISOString());
