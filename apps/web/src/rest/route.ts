import type { AppContext } from "@memstore/api";
import { AppError, badCharacter, type Scope, type Subject } from "@memstore/core";
import type { z } from "zod";
import { authenticateRequest } from "./authenticate.ts";
import { assertStorable, readJson } from "./body.ts";

/**
 * A REST route: its contract (method, path, schemas, success status) and a handler that only
 * translates between HTTP and a service function. The handler's arguments are typed from the
 * contract — `params` has exactly the template's `{names}` — and the OpenAPI document is generated
 * from the same definitions.
 */

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
type SuccessStatus = 200 | 201 | 202 | 204;

/** The scope a route needs (documented; the policy function enforces it). */
export type RouteScope = Scope | "publish|subscribe" | "subscribe|vault:read";

type ParamNames<P extends string> = P extends `${string}{${infer Name}}${infer Rest}`
  ? Name | ParamNames<Rest>
  : never;

/** `/api/v1/vaults/{vault_id}/installs/{install_id}` → `{ vault_id: string; install_id: string }`. */
export type PathParams<P extends string> = { [K in ParamNames<P>]: string };

type Schema = z.ZodType | undefined;
type Parsed<S extends Schema> = S extends z.ZodType ? z.output<S> : undefined;

type Contract<P extends string, B extends Schema, Q extends Schema, M extends Method = Method> = {
  method: M;
  path: P;
  summary: string;
  tag: string;
  /** A JSON body, parsed (400 with the field) before the handler runs. */
  body?: B;
  query?: Q;
  /** A streamed request body of these media types, not JSON: the handler reads `request`. */
  rawBody?: readonly string[];
  /** What a handler's result is sent with; a handler may return a Response of its own instead (a stream). */
  status: SuccessStatus;
  /** Headers sent with every success (caching). */
  headers?: Record<string, string>;
};

type Args<P extends string, B extends Schema, Q extends Schema> = {
  ctx: AppContext;
  params: PathParams<P>;
  body: Parsed<B>;
  query: Parsed<Q>;
  request: Request;
};

/** A route as the router holds it: the contract, and how to answer a request whose path matched. */
export type Route = Contract<string, Schema, Schema> & {
  scope: RouteScope | null;
  pattern: RegExp;
  answer(ctx: AppContext, request: Request, url: URL): Promise<Response>;
};

/**
 * A route as its definition states it: its method and path as literals and what its handler answers
 * (never present at run time). test/sdk-responses.ts checks each SDK method's result type against it.
 */
export type TypedRoute<M extends Method, P extends string, R> = Route & {
  method: M;
  path: P;
  readonly answers?: R;
};

/** A route for an API key with `scope`; the handler gets the key's subject. */
export function route<
  P extends string,
  M extends Method,
  R,
  B extends Schema = undefined,
  Q extends Schema = undefined,
>(
  contract: Contract<P, B, Q, M> & {
    scope: RouteScope;
    handler: (args: Args<P, B, Q> & { subject: Subject }) => Promise<R>;
  },
): TypedRoute<M, P, R> {
  return compile(contract, contract.scope, authenticateRequest, (args, subject) =>
    contract.handler({ ...args, subject }),
  );
}

/** A route anyone may call (health, the platform's public key). */
export function publicRoute<
  P extends string,
  M extends Method,
  R,
  B extends Schema = undefined,
  Q extends Schema = undefined,
>(contract: Contract<P, B, Q, M> & { handler: (args: Args<P, B, Q>) => Promise<R> }): TypedRoute<M, P, R> {
  return compile(
    contract,
    null,
    async () => null,
    (args) => contract.handler(args),
  );
}

/**
 * The route as the router runs it: the caller authenticated first (401 before anything about the
 * request is judged), then the path, query and body parsed as the contract says, then the handler.
 */
function compile<P extends string, M extends Method, R, B extends Schema, Q extends Schema, S>(
  contract: Contract<P, B, Q, M>,
  scope: RouteScope | null,
  authenticate: (ctx: AppContext, request: Request) => Promise<S>,
  handle: (args: Args<P, B, Q>, subject: S) => Promise<R>,
): TypedRoute<M, P, R> {
  const names: string[] = [];
  const pattern = new RegExp(
    `^${contract.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      names.push(name);
      return "([^/]+)";
    })}$`,
  );
  return {
    ...contract,
    scope,
    pattern,
    async answer(ctx, request, url) {
      const subject = await authenticate(ctx, request);
      const values = pattern.exec(url.pathname)?.slice(1) ?? [];
      // The pattern is built from the template, so its groups are exactly the template's names.
      const params = Object.fromEntries(
        names.map((n, i) => [n, pathParam(n, values[i] ?? "")]),
      ) as PathParams<P>;
      const searchParams = Object.fromEntries(url.searchParams);
      assertStorable(searchParams);
      const query = contract.query?.parse(searchParams);
      // A route that takes a raw body reads its own request, of a media type it declares.
      if (contract.rawBody) assertMediaType(request, contract.rawBody, contract.body !== undefined);
      const body =
        contract.body && !contract.rawBody ? contract.body.parse(await readJson(request)) : undefined;
      // Parsed by the schema the contract declares, or undefined when it declares none.
      const args = { ctx, params, query, body, request } as Args<P, B, Q>;
      const result = await handle(args, subject);
      if (result instanceof Response) return result;
      if (contract.status === 204 || result === undefined) return new Response(null, { status: 204 });
      return json(result, contract.status, contract.headers);
    },
  };
}

/**
 * 415 for a raw body of a media type the route does not take (or none said), before a byte of it is
 * read: a bundle posted as JSON is refused at the door, not parsed as a tar. A route that also
 * declares a JSON body takes `application/json` besides its raw types.
 */
function assertMediaType(request: Request, types: readonly string[], json: boolean) {
  const sent = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  const taken = json ? [...types, "application/json"] : types;
  if (taken.includes(sent)) return;
  throw new AppError(
    "unsupported_media_type",
    `${sent ? `a ${sent} body is not taken here` : "the body's Content-Type is missing"}; send ${taken.join(" or ")}`,
    { accepted: taken },
  );
}

/** A path parameter, decoded: 400 for a broken escape (`%`, `%zz`) or a control character. */
function pathParam(name: string, raw: string): string {
  let value: string;
  try {
    value = decodeURIComponent(raw);
  } catch {
    throw new AppError("invalid_input", `${name} is not valid percent-encoding`, {
      errors: [{ path: name, message: "not valid percent-encoding" }],
    });
  }
  const bad = badCharacter(value, false);
  if (bad) throw new AppError("invalid_input", `${name} ${bad}`, { errors: [{ path: name, message: bad }] });
  return value;
}

/** For a response that carries a secret: no cache, shared or private, may keep it. */
export const NO_STORE = { "cache-control": "no-store" };

/** The text of the JSON responses built here: the server writes it as is, not through a web stream. */
const jsonBodies = new WeakMap<Response, string>();

/** A response's JSON text when `json` built it (the body stream is then never read). */
export const jsonBodyOf = (response: Response) => jsonBodies.get(response);

/** A JSON response that names, for the type checker only, the value it carries. */
export type JsonResponse<T> = Response & { readonly sent?: T };

export function json<T>(data: T, status = 200, headers: Record<string, string> = {}): JsonResponse<T> {
  const text = JSON.stringify(data);
  const response = new Response(text, {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
  jsonBodies.set(response, text);
  return response;
}
