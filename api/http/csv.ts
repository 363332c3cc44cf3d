import { stringify } from 'csv-stringify';
import type { Request, Response } from 'express';
import { streamed } from './define-route';

// The CSV exports (D2, D5): a header row, then the rows page by page (keyset), streamed with backpressure, so a
// large export never sits in memory.

/** The columns of an export, in order: header and value. */
export type CsvColumns<T> = readonly (readonly [header: string, value: (row: T) => string | number | null])[];

/** How many rows an export reads from the database at a time. */
export const CSV_PAGE = 500;

/** Writes the rows as CSV, page by page, waiting for the client to drain; stops if it goes away. */
async function writeCsv<T>(
  req: Request,
  res: Response,
  columns: CsvColumns<T>,
  first: T[],
  next: (last: T) => Promise<T[]>,
): Promise<void> {
  // A BOM so spreadsheet programs read the UTF-8 (å, ä, ö) as such; csv-stringify quotes commas, quotes, newlines.
  const csv = stringify({
    header: true,
    bom: true,
    columns: columns.map(([header], i) => ({ key: String(i), header })),
    // A cell a spreadsheet would run as a formula (=, +, -, @, tab, CR) is prefixed with a quote.
    cast: { string: (value) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value) },
  });
  csv.pipe(res);
  // Backpressure: wait for the buffer to drain, or for the client to go away (then stop reading pages).
  const drained = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        csv.off('drain', done);
        res.off('close', done);
        resolve();
      };
      csv.once('drain', done);
      res.once('close', done);
    });
  let rows = first;
  try {
    for (;;) {
      for (const row of rows) {
        if (!csv.write(columns.map(([, value]) => value(row) ?? ''))) await drained();
        if (res.destroyed) {
          csv.destroy();
          return;
        }
      }
      const last = rows[rows.length - 1];
      if (rows.length < CSV_PAGE || !last) break;
      rows = await next(last);
    }
    csv.end();
  } catch (err) {
    req.log.error({ err }, 'CSV export failed mid-stream');
    csv.destroy();
    res.destroy(err as Error);
  }
}

/**
 * A CSV export as the route's 200: `page` reads CSV_PAGE rows after the given one (the first page without one).
 * The first page is read before answering, so a database error is still a JSON error and not a cut file.
 */
export async function csvExport<T>(
  req: Request,
  spec: { filename: string; columns: CsvColumns<T>; page: (after?: T) => Promise<T[]> },
) {
  const first = await spec.page();
  const day = new Date().toISOString().slice(0, 10);
  return streamed(200, (res) => writeCsv(req, res, spec.columns, first, spec.page), {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="${spec.filename}-${day}.csv"`,
    'Cache-Control': 'no-store',
  });
}
