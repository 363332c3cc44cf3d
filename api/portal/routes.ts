// Issue 12, part 5: the reference overview page at /portal/, static files and nothing else. It calls the same API
// as any portal backend, with the API key the user signs in with; it shows a newcomer the engine at work and is
// not the product. The world's shapes and the projection come from packages (world-atlas, topojson-client, d3-geo),
// served from node_modules by name: no build step, no tile server, no network.
import path from 'node:path';
import express, { type Express, type RequestHandler } from 'express';
import type { AppDeps } from '../http/deps';
import { METRICS_ROUTE } from '../http/metrics';

const STATIC_DIR = path.join(__dirname, 'static');

/** A d3 package's browser build: its exports name only the module entry, which sits beside it in dist/. */
const d3Build = (pkg: string) => path.join(path.dirname(require.resolve(pkg)), `${pkg}.min.js`);

/** The only files of node_modules the page loads, by the name it loads them under. */
const VENDOR: Record<string, string> = {
  'd3-array.min.js': d3Build('d3-array'),
  'd3-geo.min.js': d3Build('d3-geo'),
  'topojson-client.min.js': require.resolve('topojson-client/dist/topojson-client.min.js'),
  'countries-110m.json': require.resolve('world-atlas/countries-110m.json'),
};

/** Scripts and styles from this origin only; the page's data calls go to the API on the same origin. */
const headers: RequestHandler = (req, res, next) => {
  // The static files have no route: counted under one name in the metrics, not as unmatched requests.
  res.locals[METRICS_ROUTE] = '/portal/*';
  // Its relative links need the trailing slash (Express's routing matches /portal and /portal/ alike). Checked
  // here rather than by a GET /portal route, which would also take /portal/ and pass it on under its own name.
  if (req.originalUrl.split('?')[0] === '/portal') return res.redirect(301, '/portal/');
  res.set({
    'Content-Security-Policy':
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
      "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
  });
  next();
};

export function portalPages(app: Express, { config }: Pick<AppDeps, 'config'>): void {
  app.use('/portal', headers);
  // Where the page links each run: the operators' Temporal UI.
  app.get('/portal/config.json', (_req, res) => {
    res.json({ temporalUiUrl: config.TEMPORAL_UI_URL, namespace: config.TEMPORAL_NAMESPACE });
  });
  app.get('/portal/vendor/:file', (req, res, next) => {
    const file = VENDOR[req.params.file];
    if (!file) return next();
    res.set('Cache-Control', 'public, max-age=86400');
    res.sendFile(file);
  });
  app.use('/portal', express.static(STATIC_DIR, { index: 'index.html', fallthrough: true }));
}
