import { type ErrorCode, statusOf } from "@memstore/core";
import { z } from "zod";
import type { Route } from "./route.ts";

const problemSchema = {
  type: "object",
  required: ["type", "title", "status", "detail", "code"],
  properties: {
    type: { type: "string" },
    title: { type: "string" },
    status: { type: "integer" },
    detail: { type: "string" },
    code: { type: "string" },
  },
};

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
  }) as Record<string, unknown>;
  return rest;
}

/** OpenAPI 3.1 from the route definitions and the very zod schemas that validate requests. */
export function buildOpenApi(routes: Route[], serverUrl: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const pathParams = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const queryParams = r.query
      ? Object.entries((jsonSchema(r.query).properties ?? {}) as Record<string, unknown>).map(
          ([name, schema]) => ({
            name,
            in: "query",
            required: false,
            schema,
          }),
        )
      : [];
    const success = String(r.status);
    const errors: ErrorCode[] = r.scope ? ["invalid_input", "unauthenticated", "forbidden", "not_found"] : [];
    paths[r.path] ??= {};
    paths[r.path]![r.method.toLowerCase()] = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method.toLowerCase()}${r.path.replace(/\/api\/v1|[{}]/g, "").replace(/[/_-](\w)/g, (_, c: string) => c.toUpperCase())}`,
      ...(r.scope ? { security: [{ apiKey: [] }], "x-scope": r.scope } : {}),
      parameters: [...pathParams, ...queryParams],
      ...(r.body || r.rawBody
        ? {
            requestBody: {
              required: true,
              content: {
                ...(r.body ? { "application/json": { schema: jsonSchema(r.body) } } : {}),
                ...Object.fromEntries(
                  (r.rawBody ?? []).map((t) => [t, { schema: { type: "string", contentMediaType: t } }]),
                ),
              },
            },
          }
        : {}),
      responses: {
        [success]: { description: "Success" },
        ...Object.fromEntries(
          errors.map((code) => [
            String(statusOf(code)),
            {
              description: code,
              content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
            },
          ]),
        ),
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "MemStore REST API",
      version: "1.0.0",
      description: "Publish, acquire, install and pull governed AI memory.",
    },
    servers: [{ url: serverUrl }],
    paths: {
      ...paths,
      "/api/v1/openapi.json": {
        get: {
          summary: "This document",
          tags: ["system"],
          responses: { "200": { description: "OpenAPI 3.1" } },
        },
      },
    },
    components: {
      securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "An API key: msk_…" } },
      schemas: { Problem: problemSchema },
    },
  };
}
