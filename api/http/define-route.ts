import {
  OpenApiGeneratorV31,
  OpenAPIRegistry,
  type ResponseConfig,
  type RouteConfig,
} from '@asteasolutions/zod-to-openapi';
import { type Request, type RequestHandler, type Response, Router } from 'express';
import { z } from 'zod';
import type { Permission, Principal } from '../../db/api-keys';
import { actorOf, principalOf, requirePermission } from './auth';
import { ErrorResponse, HttpError, type InputLocation, validationError } from './errors';
import { completeDocument } from './openapi-rules';

// One declaration per operation: the Express route and its OpenAPI operation, from the same zod schemas.

// --- Responses ---------------------------------------------------------------------------------------
type HeaderDocs = Record<string, string>;
export interface JsonResponse<S extends z.ZodType> {
  kind: 'json';
  description: string;
  schema: S;
  headers?: HeaderDocs;
}
/** A whole body of another media type (a PDF, an HTML page), sent as it is. */
interface FileResponse {
  kind: 'file';
  description: string;
  contentType: string;
  schema: z.ZodType;
  headers?: HeaderDocs;
}
/** A body the handler writes itself, piece by piece (a CSV export). */
interface StreamResponse {
  kind: 'stream';
  description: string;
  contentType: string;
  schema: z.ZodType;
  headers?: HeaderDocs;
}
interface EmptyResponse {
  kind: 'empty';
  description: string;
  headers?: HeaderDocs;
}
type ResponseSpec = JsonResponse<z.ZodType> | FileResponse | StreamResponse | EmptyResponse;
export type Responses = { [status: number]: ResponseSpec };

export const json = <S extends z.ZodType>(description: string, schema: S, headers?: HeaderDocs): JsonResponse<S> => ({
  kind: 'json',
  description,
  schema,
  headers,
});
export const file = (description: string, contentType: string, schema: z.ZodType, headers?: HeaderDocs) =>
  ({ kind: 'file', description, contentType, schema, headers }) satisfies FileResponse;
export const html = (description: string) => file(description, 'text/html', z.string());
export const stream = (description: string, contentType: string, headers?: HeaderDocs) =>
  ({ kind: 'stream', description, contentType, schema: z.string(), headers }) satisfies StreamResponse;
export const empty = (description: string): EmptyResponse => ({ kind: 'empty', description });

type ReplyTo<S, R> =
  R extends JsonResponse<infer Z>
    ? { status: S; body: z.infer<Z>; headers?: Record<string, string> }
    : R extends FileResponse
      ? { status: S; body: Buffer | string; headers?: Record<string, string> }
      : R extends StreamResponse
        ? { status: S; stream: (res: Response) => Promise<void>; headers?: Record<string, string> }
        : { status: S; headers?: Record<string, string> };
/** What a handler may answer: one of the declared statuses, with a body of that status's schema. */
export type Reply<R extends Responses> = { [S in keyof R & number]: ReplyTo<S, R[S]> }[keyof R & number];

// --- Requests ----------------------------------------------------------------------------------------
/** Who may call: a reseller's API key (/v1), a contact's session (/contact/v1), or anyone. */
export type Auth = 'apiKey' | 'contactSession' | 'paymentSignature' | 'public';
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Schema = z.ZodType | undefined;
type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface Input<P, Q, B, H> {
  params: P;
  query: Q;
  body: B;
  headers: H;
  req: Request;
  /** The calling reseller user (apiKey routes). */
  principal: Principal;
  /** `user:<id>`, for the audit trail. */
  actor: string;
}

export interface RouteSpec<
  P extends Schema,
  Q extends Schema,
  B extends Schema,
  H extends Schema,
  R extends Responses,
> {
  method: Method | Method[];
  /** The OpenAPI path, `/v1/customers/{id}`; the Express path is derived from it. */
  path: string;
  /** When Express needs more than the OpenAPI path says (a wildcard). */
  expressPath?: string;
  summary: string;
  description?: string;
  auth?: Auth;
  permission?: Permission;
  /** A path that fails its schema is a 404: a malformed id is as unknown as any other (T1). */
  params?: P;
  query?: Q;
  headers?: H;
  body?: B;
  bodyType?: 'application/json' | 'application/x-www-form-urlencoded';
  /** Runs before the input is parsed: a body parser of its own, a signature check. */
  middleware?: RequestHandler[];
  responses: R;
  /** Error answers besides those the declaration implies (401, 403, 404 and 400 are added as they apply). */
  errors?: (number | readonly [number, string])[];
  handler: (input: Input<Parsed<P>, Parsed<Q>, Parsed<B>, Parsed<H>>) => Promise<NoInfer<Reply<R>>>;
}

export interface Api {
  router: Router;
  registry: OpenAPIRegistry;
  /** The methods of each Express path, for the 405's Allow. */
  methods: Map<string, Set<string>>;
}

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid input: the field and the reason (or a URL that does not decode)',
  401: 'No or unknown credentials',
  403: 'The user lacks the permission',
  404: "Not found (or another reseller's)",
  409: 'Refused by a rule, with the reason',
  410: 'The link is spent, expired or replaced',
  413: 'The request body is too large',
  415: 'The body is in a charset (JSON: UTF-8 only) or a Content-Encoding the API does not read',
  422:
    'The input is as this document says, but what it refers to refuses it (the field and the reason); or an ' +
    'Idempotency-Key reused with a different body; or refused by the lifecycle as malformed',
  429: 'Too many requests; Retry-After says when to try again',
  503:
    'The database or the workflow service cannot be reached, or a step could not be completed now; nothing was ' +
    'changed; Retry-After says when to try again',
};

export const SECURITY_SCHEMES = {
  apiKey: { type: 'http', scheme: 'bearer', description: "A reseller user's API key." },
  contactSession: {
    type: 'http',
    scheme: 'bearer',
    description: "A customer contact's session from POST /contact/login; accepted by /contact/v1 only.",
  },
  paymentSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'Payment-Signature',
    description: '`sha256=<hex>`: an HMAC-SHA256 of the raw body with `PAYMENT_WEBHOOK_SECRET`.',
  },
} as const;

export function createApi(): Api {
  const registry = new OpenAPIRegistry();
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES))
    registry.registerComponent('securitySchemes', name, scheme);
  return { router: Router(), registry, methods: new Map() };
}

/**
 * After the api's router: a method the document does not declare on a path it does is a 405 naming the methods
 * that are (RFC 9110), not a 404. OPTIONS is answered by the router itself, with the same Allow.
 */
export function methodNotAllowed(api: Api): Router {
  const router = Router();
  for (const [path, declared] of api.methods) router.all(path, (req, _res, next) => next(notAllowed(req, declared)));
  return router;
}

function notAllowed(req: Request, declared: Set<string>): HttpError {
  const allow = [...declared, ...(declared.has('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ');
  return new HttpError(405, 'method_not_allowed', `${req.method} is not allowed here: ${allow}.`, undefined, {
    Allow: allow,
  });
}

/**
 * A path parameter that fails its schema is a 404, unless the path is a path of its own with other methods
 * (`PATCH /v1/customers/map` reaches `PATCH /v1/customers/{id}` first): then a 405 for that path.
 */
function unknownPath(api: Api, req: Request): HttpError {
  const own = api.methods.get(req.path);
  return own && !own.has(req.method) ? notAllowed(req, own) : new HttpError(404, 'not_found', 'Not found.');
}

/** The headers a schema names, read case-insensitively as HTTP has them. */
function headersOf(req: Request, schema: z.ZodType): Record<string, string | undefined> {
  const keys = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  return Object.fromEntries(keys.map((k) => [k, req.get(k)]));
}

function parseInput<S extends Schema>(
  schema: S,
  value: unknown,
  location: InputLocation,
  pathRefused?: () => HttpError,
): Parsed<S> {
  if (!schema) return undefined as Parsed<S>;
  const result = schema.safeParse(value);
  if (result.success) return result.data as Parsed<S>;
  if (location === 'path') throw pathRefused?.() ?? new HttpError(404, 'not_found', 'Not found.');
  throw validationError(result.error, location);
}

function send(res: Response, spec: ResponseSpec | undefined, reply: Record<string, unknown>): Promise<void> | void {
  if (!spec) throw new Error(`the handler answered ${String(reply.status)}, which its route does not declare`);
  res.status(reply.status as number);
  if (spec.kind === 'file' || spec.kind === 'stream') res.type(spec.contentType);
  // After the type, so a handler may name it more exactly (a charset).
  if (reply.headers) res.set(reply.headers as Record<string, string>);
  switch (spec.kind) {
    case 'json':
      res.json(reply.body);
      return;
    case 'file':
      res.send(reply.body);
      return;
    case 'stream':
      return (reply.stream as (res: Response) => Promise<void>)(res);
    case 'empty':
      res.end();
  }
}

function documentResponses(spec: RouteSpec<Schema, Schema, Schema, Schema, Responses>): Record<number, ResponseConfig> {
  const docs: Record<number, ResponseConfig> = {};
  for (const [status, r] of Object.entries(spec.responses)) {
    const headers = r.headers
      ? Object.fromEntries(Object.entries(r.headers).map(([name, description]) => [name, { description }]))
      : undefined;
    docs[Number(status)] = {
      description: r.description,
      ...(headers ? { headers } : {}),
      ...(r.kind === 'empty'
        ? {}
        : { content: { [r.kind === 'json' ? 'application/json' : r.contentType]: { schema: r.schema } } }),
    };
  }
  // What every operation may answer besides its own: a URL that does not decode (400), a body too large or in a
  // charset or encoding the parsers refuse (413, 415), a database or Temporal out of reach (503).
  const implied: number[] = [
    400,
    ...(spec.auth !== 'public' ? [401] : []),
    ...(spec.permission ? [403] : []),
    ...(spec.params ? [404] : []),
    ...(spec.body ? [413, 415] : []),
    503,
  ];
  const listed = [...implied.map((s) => [s, ERROR_TEXT[s]] as const), ...(spec.errors ?? [])];
  for (const entry of listed) {
    const [status, description] = typeof entry === 'number' ? [entry, ERROR_TEXT[entry]] : entry;
    const declared = docs[status];
    // A page answers its own 400 in HTML; what the parsers refuse before it runs is JSON, as everywhere.
    if (declared?.content && implied.includes(status) && !declared.content['application/json'])
      declared.content['application/json'] = { schema: ErrorResponse };
    if (declared) continue;
    docs[status] = {
      description: description ?? 'Error',
      content: { 'application/json': { schema: ErrorResponse } },
    };
  }
  return docs;
}

/**
 * Registers one operation: the Express route (auth, permission, input parsed by its schemas, the reply
 * sent as declared) and its OpenAPI operation, from the same declaration. The handler's answer is typed
 * by the response schemas.
 */
export function defineRoute<
  R extends Responses,
  P extends Schema = undefined,
  Q extends Schema = undefined,
  B extends Schema = undefined,
  H extends Schema = undefined,
>(api: Api, spec: RouteSpec<P, Q, B, H, R>): void {
  const auth = spec.auth ?? 'apiKey';
  const methods = Array.isArray(spec.method) ? spec.method : [spec.method];
  const expressPath = spec.expressPath ?? spec.path.replace(/\{(\w+)\}/g, ':$1');

  const guard: RequestHandler = (req, _res, next) => {
    if (auth === 'apiKey') principalOf(req);
    if (spec.permission) requirePermission(req, spec.permission);
    next();
  };
  const handle: RequestHandler = async (req, res) => {
    const params = parseInput(spec.params, req.params, 'path', () => unknownPath(api, req));
    const query = parseInput(spec.query, req.query, 'query');
    const headers = parseInput(spec.headers, spec.headers ? headersOf(req, spec.headers) : undefined, 'header');
    const body = parseInput(spec.body, req.body ?? {}, 'body');
    const input: Input<Parsed<P>, Parsed<Q>, Parsed<B>, Parsed<H>> = {
      params: params as Parsed<P>,
      query: query as Parsed<Q>,
      body: body as Parsed<B>,
      headers: headers as Parsed<H>,
      req,
      get principal() {
        return principalOf(req);
      },
      get actor() {
        return actorOf(principalOf(req));
      },
    };
    const reply = (await spec.handler(input)) as Record<string, unknown>;
    await send(res, spec.responses[reply.status as number], reply);
  };
  if (!api.methods.has(expressPath)) {
    // OPTIONS answers this path's own methods: Express's automatic answer would add those of every route the URL
    // also matches (`/v1/customers/map` is also `/v1/customers/{id}`).
    api.router.options(expressPath, (_req, res) => {
      const own = api.methods.get(expressPath) ?? new Set<string>();
      const allow = [...own, ...(own.has('GET') ? ['HEAD'] : [])].join(', ');
      res.set('Allow', allow).type('text/plain').send(allow);
    });
  }
  for (const method of methods) api.router[method](expressPath, guard, ...(spec.middleware ?? []), handle);
  const declared = api.methods.get(expressPath) ?? new Set<string>();
  for (const method of methods) declared.add(method.toUpperCase());
  api.methods.set(expressPath, declared);

  const docs = spec as unknown as RouteSpec<Schema, Schema, Schema, Schema, Responses>;
  const request: RouteConfig['request'] = {
    ...(spec.params ? { params: spec.params as RouteParams } : {}),
    ...(spec.query ? { query: spec.query as RouteParams } : {}),
    ...(spec.headers ? { headers: spec.headers as RouteParams } : {}),
    ...(spec.body
      ? {
          body: {
            content: { [spec.bodyType ?? 'application/json']: { schema: spec.body } },
            // No body reads as {}: a body whose every field is optional may be left out.
            required: !spec.body.safeParse({}).success,
          },
        }
      : {}),
  };
  for (const method of methods) {
    api.registry.registerPath({
      method,
      path: spec.path,
      summary: spec.summary,
      ...(spec.description ? { description: spec.description } : {}),
      ...(auth !== 'public' ? { security: [{ [auth]: [] }] } : {}),
      // T2: the permission the caller's user must hold (403 without it), for API users and the tenant matrix.
      ...(spec.permission ? { 'x-permission': spec.permission } : {}),
      request,
      responses: documentResponses({ ...docs, auth }),
    });
  }
}
type RouteParams = NonNullable<NonNullable<RouteConfig['request']>['params']>;

/** The OpenAPI document of every operation defined on the api. */
export function openApiDocument(api: Api): object {
  const doc = new OpenApiGeneratorV31(api.registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Reseller provisioning engine',
      version: '0.1.0',
      description: 'Durable reseller lifecycles on Temporal. Rule ids refer to DOMAIN.md.',
    },
    servers: [{ url: '/' }],
  });
  return completeDocument(doc);
}

// Replies with their status as a literal type, so the handler's answer is checked against that status's schema.
export const reply = <const S extends number, B>(status: S, body: B, headers?: Record<string, string>) => ({
  status,
  body,
  headers,
});
export const streamed = <const S extends number>(
  status: S,
  stream: (res: Response) => Promise<void>,
  headers?: Record<string, string>,
) => ({ status, stream, headers });
export const noContent = () => ({ status: 204 as const });
/** 201 with the new resource's Location, and whether an earlier request with its Idempotency-Key made it. */
export const created = <B>(location: string, body: B, replayed?: boolean) =>
  reply(201, body, {
    Location: location,
    ...(replayed === undefined ? {} : { 'Idempotent-Replayed': String(replayed) }),
  });
