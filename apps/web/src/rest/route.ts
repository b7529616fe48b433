import type { AppContext } from "@memstore/api";
import type { Scope, Subject } from "@memstore/core";
import type { z } from "zod";

/**
 * A REST route: its contract (method, path, schemas, status) and a handler that only translates
 * between HTTP and a service function. The OpenAPI document is generated from these definitions.
 */
export type HandlerArgs<B, Q> = {
  ctx: AppContext;
  subject: Subject;
  params: Record<string, string>;
  body: B;
  query: Q;
  request: Request;
};

export type RouteDef<B extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType> = {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  summary: string;
  tag: string;
  /** The scope the route needs (documented; the policy function enforces it). Absent = no auth. */
  scope?: Scope | "publish|subscribe" | "subscribe|vault:read";
  body?: B;
  query?: Q;
  /** A streamed request body of these media types, not JSON. */
  rawBody?: string[];
  /** The success status; handlers may also return a Response of their own. */
  status?: 200 | 201 | 202 | 204;
  handler: (args: HandlerArgs<z.infer<B>, z.infer<Q>>) => Promise<unknown>;
};

export function route<B extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType>(
  def: RouteDef<B, Q>,
): RouteDef {
  return def as unknown as RouteDef;
}

export function json(data: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(data), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}
