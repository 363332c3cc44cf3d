import { createServer, type Server } from 'node:http';
import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

// Prometheus metrics of the API (issue 11): requests by route and status, and their latency. Served on a port of
// their own (API_METRICS_PORT), never the API's: the API faces the internet behind its proxy, the metrics name
// every route and its traffic, and a port apart is one an operator leaves unpublished instead of one more path to
// hide, authenticate and keep out of the OpenAPI document and the rate limits.

/** The label of a request no route took (an unknown path, or one refused by a middleware before its route ran). */
export const UNMATCHED_ROUTE = 'unmatched';
/** Where a middleware that answers without a route (static files) names its requests: `res.locals[METRICS_ROUTE]`. */
export const METRICS_ROUTE = 'metricsRoute';

export interface HttpMetrics {
  registry: Registry;
  /** Counts and times every request once its answer is sent (or the client gave up on it). */
  observe: RequestHandler;
}

/** A registry of its own per API instance (tests run several in one process), with the process's own metrics. */
export function createHttpMetrics(): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from the request to its answer, by method, route template and status',
    labelNames,
    // From a cached read (~2 ms) to a create waiting on Temporal under load (seconds).
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const observe: RequestHandler = (req, res, next) => {
    const end = duration.startTimer();
    let done = false;
    const record = () => {
      if (done) return;
      done = true;
      // The route's template (/v1/customers/:id), never the URL: one series per route, not per id.
      const template = req.route?.path;
      const named = res.locals[METRICS_ROUTE];
      const labels = {
        method: req.method,
        route:
          typeof template === 'string' ? req.baseUrl + template : typeof named === 'string' ? named : UNMATCHED_ROUTE,
        // A client that hung up before the whole answer was sent: its status code says nothing it received.
        status: res.writableFinished ? String(res.statusCode) : 'aborted',
      };
      requests.inc(labels);
      end(labels);
    };
    res.once('finish', record);
    res.once('close', record);
    next();
  };
  return { registry, observe };
}

/** GET /metrics of `registry` on a port of its own; anything else is a 404. */
export function serveMetrics(registry: Registry, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(err.message),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
