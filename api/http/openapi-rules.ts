import { DATE_RANGES, EMAIL_PATTERN } from './schemas';

// What the generated document must say besides the zod schemas of each route, added once for every operation:
// the rules every input is held to (no NUL in text, the email syntax) and the links from each create to the
// operations on what it made. schemathesis holds the API to this document (scripts/test).

type JsonSchema = Record<string, unknown>;
interface Operation {
  parameters?: { name: string; in: string; schema?: JsonSchema }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  responses?: Record<string, { content?: Record<string, { schema?: JsonSchema }>; links?: Record<string, unknown> }>;
}
export interface OpenApiDoc {
  paths?: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** Text the API stores: no NUL (Postgres text cannot hold it; body-parsers.ts refuses it in values and keys). */
const NO_NUL = '^[^\\u0000]*$';

/** Any JSON value whose text (keys included, at any depth) holds no NUL: what an object's other keys may carry. */
const STORABLE = 'StorableValue';
const STORABLE_VALUE: JsonSchema = {
  anyOf: [
    { type: ['null', 'boolean', 'number'] },
    { type: 'string', pattern: NO_NUL },
    { type: 'array', items: { $ref: `#/components/schemas/${STORABLE}` } },
    {
      type: 'object',
      propertyNames: { pattern: NO_NUL },
      additionalProperties: { $ref: `#/components/schemas/${STORABLE}` },
    },
  ],
};

/** A schema of this type, alone or beside null (OpenAPI 3.1 writes a nullable string `type: [string, null]`). */
const hasType = (schema: JsonSchema, type: string) =>
  schema.type === type || (Array.isArray(schema.type) && schema.type.includes(type));

const isEmpty = (v: unknown) => typeof v === 'object' && v !== null && Object.keys(v).length === 0;

function resolve(doc: OpenApiDoc, schema: JsonSchema | undefined): JsonSchema | undefined {
  const ref = schema?.$ref;
  if (typeof ref !== 'string') return schema;
  return doc.components?.schemas?.[ref.replace('#/components/schemas/', '')];
}

/**
 * Every string an operation takes says it may not hold a NUL, and every email the API's syntax (not JSON
 * Schema's `format: email`, which zod-to-openapi alone emits); every object that takes other keys, that they hold
 * no NUL either. Request schemas only (and the components they use): answers never carry a NUL.
 */
function describeTextRules(doc: OpenApiDoc): void {
  doc.components = { ...doc.components, schemas: { ...doc.components?.schemas, [STORABLE]: STORABLE_VALUE } };
  const seen = new Set<JsonSchema>();
  const visit = (node: JsonSchema | undefined): void => {
    const schema = resolve(doc, node);
    if (!schema || seen.has(schema)) return;
    seen.add(schema);
    const dates = DATE_RANGES.get(schema['x-date-range'] as string);
    if (dates) {
      const { min, max } = dates();
      schema.pattern = between(min, max);
      delete schema['x-date-range'];
    }
    if (hasType(schema, 'string') && schema.pattern === undefined && schema.enum === undefined) {
      if (schema.format === 'email') {
        // zod's syntax, not JSON Schema's (RFC 5321 and 5322 allow what zod refuses, and refuse what it allows).
        schema.pattern = EMAIL_PATTERN.source;
        delete schema.format;
      } else if (schema.format === undefined && schema.const === undefined) schema.pattern = NO_NUL;
    }
    // zod's int() is a safe integer: a larger number is refused even when whole.
    if (hasType(schema, 'integer')) {
      schema.minimum = Math.max(Number(schema.minimum ?? Number.MIN_SAFE_INTEGER), Number.MIN_SAFE_INTEGER);
      schema.maximum = Math.min(Number(schema.maximum ?? Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
    }
    const open = schema.additionalProperties;
    if (schema.type === 'object' && (open === undefined || open === true || isEmpty(open))) {
      schema.propertyNames = { pattern: NO_NUL };
      schema.additionalProperties = { $ref: `#/components/schemas/${STORABLE}` };
    }
    for (const key of ['items', 'additionalProperties', 'not'])
      if (typeof schema[key] === 'object') visit(schema[key] as JsonSchema);
    for (const key of ['anyOf', 'oneOf', 'allOf', 'prefixItems'])
      for (const s of (schema[key] as JsonSchema[] | undefined) ?? []) visit(s);
    for (const s of Object.values((schema.properties as Record<string, JsonSchema> | undefined) ?? {})) visit(s);
  };
  for (const operation of Object.values(doc.paths ?? {}).flatMap((item) => Object.values(item))) {
    for (const p of operation.parameters ?? []) visit(p.schema);
    for (const media of Object.values(operation.requestBody?.content ?? {})) visit(media.schema);
  }
}

// Patterns for the strings of one shape (digits and fixed dashes, `YYYY-MM-DD`) that sort from `lo` to `hi`:
// how the document states a date input's range, which JSON Schema has no keyword for.
const DIGIT = '[0-9]';
const anyLike = (s: string) => s.replace(/[0-9]/g, DIGIT);
const oneOf = (alternatives: string[]) =>
  alternatives.length === 1 ? (alternatives[0] as string) : `(?:${alternatives.join('|')})`;
const digitsFrom = (d: number, to: number) => (d === to ? String(d) : `[${d}-${to}]`);
/** The strings of `s`'s shape that sort at or after it (`up`), or at or before it. */
function bound(s: string, up: boolean): string {
  if (s === '') return '';
  const [c, rest] = [s.charAt(0), s.slice(1)];
  if (c === '-') return `-${bound(rest, up)}`;
  const d = Number(c);
  const beyond = up ? (d < 9 ? digitsFrom(d + 1, 9) : null) : d > 0 ? digitsFrom(0, d - 1) : null;
  return oneOf([`${c}${bound(rest, up)}`, ...(beyond ? [`${beyond}${anyLike(rest)}`] : [])]);
}
export function between(lo: string, hi: string): string {
  let i = 0;
  while (i < lo.length && lo[i] === hi[i]) i++;
  if (i === lo.length) return `^${lo}$`;
  const [a, b, restLo, restHi] = [Number(lo[i]), Number(hi[i]), lo.slice(i + 1), hi.slice(i + 1)];
  const inside = b - a > 1 ? [`${digitsFrom(a + 1, b - 1)}${anyLike(restLo)}`] : [];
  return `^${lo.slice(0, i)}${oneOf([`${a}${bound(restLo, true)}`, ...inside, `${b}${bound(restHi, false)}`])}$`;
}

const pathParams = (path: string): string[] => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
const pointer = (path: string, method: string) =>
  `#/paths/${path.replaceAll('~', '~0').replaceAll('/', '~1')}/${method}`;

/**
 * OpenAPI links from each create (a POST answering 201 or 202 with the new resource) to every operation that
 * takes what it made: the operations under its path (`/v1/orders` → `/v1/orders/{id}/…`, by the answer's `id` or
 * the field the parameter names), and those naming it elsewhere as `<resource>Id`, in the path or the body
 * (`customerId` from `/v1/customers`, `orderId` from `/v1/orders`). The path's own parameters carry over.
 */
function linkCreates(doc: OpenApiDoc): void {
  const paths = doc.paths ?? {};
  for (const [source, item] of Object.entries(paths)) {
    const create = item.post;
    const [status, response] =
      Object.entries(create?.responses ?? {}).find(([s, r]) => (s === '201' || s === '202') && r.content) ?? [];
    const madeFields = Object.keys(
      (resolve(doc, response?.content?.['application/json']?.schema)?.properties as object | undefined) ?? {},
    );
    if (!create || !status || !response || !madeFields.includes('id')) continue;
    // `/v1/customers` makes what `customerId` names.
    const resource = /\/([a-z-]+?)s$/.exec(source)?.[1]?.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
    const namesIt = (name: string) => resource !== undefined && name === `${resource}Id`;
    const made = (name: string) => `$response.body#/${madeFields.includes(name) ? name : 'id'}`;
    const links: Record<string, unknown> = {};
    for (const [target, operations] of Object.entries(paths)) {
      const under = target.startsWith(`${source}/{`) ? pathParams(target.slice(source.length))[0] : undefined;
      const parameters: Record<string, string> = {};
      for (const name of pathParams(target)) {
        if (name === under || namesIt(name)) parameters[name] = made(name);
        else if (target.startsWith(source) && pathParams(source).includes(name))
          parameters[name] = `$request.path.${name}`;
      }
      // Every path parameter must come from somewhere, and one from what the create made.
      const linksParams =
        Object.keys(parameters).length === pathParams(target).length &&
        Object.values(parameters).some((v) => v.startsWith('$response'));
      for (const [method, operation] of Object.entries(operations)) {
        if (target === source && method === 'post') continue;
        const body = resolve(doc, operation.requestBody?.content?.['application/json']?.schema);
        const bodyField = Object.keys((body?.properties as object | undefined) ?? {}).find(namesIt);
        if (!linksParams && !(bodyField && pathParams(target).length === 0)) continue;
        links[`${method}${target}`.replace(/[^A-Za-z0-9]+/g, '_')] = {
          operationRef: pointer(target, method),
          ...(linksParams ? { parameters } : {}),
          ...(bodyField ? { requestBody: { [bodyField]: '$response.body#/id' } } : {}),
        };
      }
    }
    if (Object.keys(links).length > 0) response.links = { ...response.links, ...links };
  }
}

/** The document as generated from the routes, with the rules and links above. */
export function completeDocument<D extends object>(doc: D): D {
  describeTextRules(doc as OpenApiDoc);
  linkCreates(doc as OpenApiDoc);
  return doc;
}
