import type { WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import type { Sql } from '../../db';
import type { Permission, Principal } from '../../db/api-keys';
import { type CursorRow, type KeysetPage, keysetPage } from './cursor';
import {
  type Api,
  created,
  defineRoute,
  type Input,
  type JsonResponse,
  type Reply,
  type Responses,
  reply,
} from './define-route';
import { IdempotencyHeaders, resourceIdFor } from './idempotency';
import { runUpdate } from './lifecycles';
import { ServerTiming } from './server-timing';

// The kinds of route the resources declare again and again, each a defineRoute: an answer to a query, a keyset
// list, a create with an Idempotency-Key, one of the caller's rows, and the lifecycle actions on it.

type Schema = z.ZodType | undefined;
type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;
type Own<Row> = (principal: Principal, id: string) => Promise<Row>;
type Errors = (number | readonly [number, string])[];
type PageQuery = z.ZodType<{ limit: number; cursor?: string }>;

/** What a GET answered from its query declares. */
interface GetSpec<Q extends z.ZodType, S extends z.ZodType> {
  path: string;
  summary: string;
  description?: string;
  permission?: Permission;
  query: Q;
  response: JsonResponse<S>;
  errors?: Errors;
}

/** `GET <path>`: JSON answered from the parsed query, for the calling reseller user. */
export function getRoute<Q extends z.ZodType, S extends z.ZodType>(
  api: Api,
  spec: GetSpec<Q, S> & { answer: (principal: Principal, query: Parsed<Q>) => Promise<z.infer<S>> },
): void {
  const { answer, response, ...route } = spec;
  defineRoute(api, {
    ...route,
    method: 'get',
    responses: { 200: response },
    handler: async ({ principal, query }) => reply(200, await answer(principal, query)),
  });
}

/** `GET <path>`: one keyset page of the caller's rows, newest first, with the next cursor. */
export function listRoute<Q extends PageQuery, T extends CursorRow, J>(
  api: Api,
  spec: GetSpec<Q, z.ZodType<{ data: J[]; nextCursor: string | null }>> & {
    /** The rows after the page's cursor, with the query's filters. */
    list: (principal: Principal, page: Omit<Parsed<Q>, 'limit' | 'cursor'> & KeysetPage) => Promise<T[]>;
    toJson: (row: T) => J;
  },
): void {
  const { list, toJson, ...route } = spec;
  getRoute(api, { ...route, answer: (principal, query) => keysetPage(query, (page) => list(principal, page), toJson) });
}

/**
 * `POST <path>` with an optional Idempotency-Key: `check` refuses what cannot be made before the key is
 * claimed; `create` makes the resource under the claimed id (a repeat gets the same id) and answers its JSON.
 */
export function createRoute<B extends z.ZodType, S extends z.ZodType, C = undefined>(
  api: Api,
  sql: Sql,
  spec: {
    path: string;
    summary: string;
    body: B;
    /** The 201, with `createdHeaders`. */
    response: JsonResponse<S>;
    errors: Errors;
    check?: (principal: Principal, body: Parsed<B>) => Promise<C>;
    create: (
      principal: Principal,
      body: Parsed<B>,
      id: string,
      checked: C,
      timing: ServerTiming,
    ) => Promise<z.infer<S>>;
  },
): void {
  const { response, check, create, ...route } = spec;
  defineRoute(api, {
    ...route,
    method: 'post',
    permission: 'order',
    headers: IdempotencyHeaders,
    responses: { 201: response },
    handler: async ({ req, principal, headers, body }) => {
      const timing = new ServerTiming();
      const checked = (check ? await check(principal, body) : undefined) as C;
      timing.lap('check');
      const { id, replayed } = await resourceIdFor(sql, principal.resellerId, headers['Idempotency-Key'], body);
      timing.lap('claim');
      const made = await create(principal, body, id, checked, timing);
      req.res?.setHeader('Server-Timing', timing.header);
      return created(`${spec.path}/${id}`, made, replayed);
    },
  });
}

type OwnedInput<B extends Schema> = Input<Record<string, string>, undefined, Parsed<B>, undefined>;

/**
 * A route on one of the caller's rows, named by the path's last parameter (`{id}`, `{orderId}`): another
 * tenant's, an unknown or a malformed id is a 404 (T1); the handler gets the row.
 */
export function ownedRoute<Row, R extends Responses, B extends Schema = undefined>(
  api: Api,
  spec: {
    method: 'get' | 'post' | 'put' | 'patch' | 'delete';
    path: string;
    summary: string;
    permission?: Permission;
    body?: B;
    responses: R;
    errors?: Errors;
    own: Own<Row>;
    handler: (row: Row, input: OwnedInput<B>) => Promise<NoInfer<Reply<R>>>;
  },
): void {
  const { own, handler, ...route } = spec;
  const name = [...spec.path.matchAll(/\{(\w+)\}/g)].at(-1)?.[1] ?? 'id';
  const params = z.object({ [name]: z.uuid() });
  defineRoute<R, typeof params, undefined, B>(api, {
    ...route,
    params,
    handler: async (input) => handler(await own(input.principal, input.params[name] ?? ''), input),
  });
}

/** `GET <path>`: one of the caller's rows, as `view` shows it. */
export function getOwnedRoute<Row, S extends z.ZodType>(
  api: Api,
  spec: {
    path: string;
    summary: string;
    permission?: Permission;
    response: JsonResponse<S>;
    own: Own<Row>;
    view: (row: Row, input: OwnedInput<undefined>) => Promise<z.infer<S>> | z.infer<S>;
  },
): void {
  const { response, view, ...route } = spec;
  ownedRoute(api, {
    ...route,
    method: 'get',
    responses: { 200: response },
    handler: async (row, input) => reply(200, await view(row, input)),
  });
}

/**
 * `POST <path>/<action>` for each action, with the `order` permission: one update of the row's lifecycle, its
 * argument from the body, and the actor; answered by `view` of the row and the update's result.
 */
export function actionRoutes<
  Row,
  Ret,
  Arg extends { actor: string },
  S extends z.ZodType,
  B extends Schema = undefined,
>(
  api: Api,
  spec: {
    path: string;
    body?: B;
    response: JsonResponse<S>;
    errors: Errors;
    own: Own<Row>;
    actions: readonly (readonly [action: string, update: UpdateDefinition<Ret, [Arg]>, summary: string])[];
    /** The row's workflow; it may refuse the action first. */
    handleOf: (row: Row, action: string) => WorkflowHandle | Promise<WorkflowHandle>;
    /** The update's argument besides the actor, from the body; the body's own fields unless told. */
    argOf?: (body: Parsed<B>) => Omit<Arg, 'actor'>;
    view: (row: Row, result: Ret, input: OwnedInput<B>) => Promise<z.infer<S>>;
  },
): void {
  const { actions, handleOf, argOf, view, response, path, ...route } = spec;
  for (const [action, update, summary] of actions) {
    ownedRoute(api, {
      ...route,
      method: 'post',
      path: `${path}/${action}`,
      summary,
      permission: 'order',
      responses: { 200: response },
      handler: async (row, input) => {
        const handle = await handleOf(row, action);
        const fields = argOf ? argOf(input.body) : (input.body as Omit<Arg, 'actor'> | undefined);
        const result = await runUpdate(handle, update, { ...fields, actor: input.actor } as Arg);
        return reply(200, await view(row, result, input));
      },
    });
  }
}
