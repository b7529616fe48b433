import type { Route } from "@memstore/web";
import fc from "fast-check";
import { z } from "zod";

/**
 * Requests for the REST route table, generated: near-valid bodies, queries and path parameters built
 * from each route's own zod schemas (so most get past the first 400 and reach the services), mixed
 * with values at and past every bound, characters Postgres cannot store, broken encodings and
 * escapes, and plain garbage. What a server must do with all of them: answer below 500, and
 * answer a refusal as problem+json with a code.
 */

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  format?: string;
  pattern?: string;
  additionalProperties?: boolean | JsonSchema;
};

/** The run's seed: FUZZ_SEED, a fresh one for `random` (printed, so a failure can be replayed), or 42. */
export function fuzzSeed(): number {
  const given = process.env.FUZZ_SEED ?? "42";
  const seed = given === "random" ? Math.floor(Math.random() * 2 ** 31) : Number(given);
  if (!Number.isSafeInteger(seed)) throw new Error(`FUZZ_SEED must be an integer or "random", not ${given}`);
  return seed;
}

const jsonSchemaOf = (schema: z.ZodType): JsonSchema =>
  z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;

/** Strings a careless reader trips on. */
const NASTY_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\ud800",
  "\udfff tail",
  "😀🐳",
  "../../etc/passwd",
  "%00",
  "%",
  "<script>alert(1)</script>",
  "' or 1=1 --",
  "1e30",
  "9".repeat(40),
  "\u202e\u200b",
  "Ω".repeat(300),
];

const NASTY_NUMBERS = [0, -1, 1.5, -0.5, 2 ** 31, 2 ** 53 + 2, 3_000_000_000, 1e308, -1e308, 1e-300];

/**
 * How values are drawn. A `valid` value keeps to the schema (ids are the organisation's real ones),
 * so the request reaches the service; a hostile one strays at any node: past a bound, a wrong type,
 * a string Postgres cannot store, an unknown key.
 */
type Mode = { hostile: boolean; known: Record<string, string[]> };

function validString(s: JsonSchema, key: string | undefined, mode: Mode): fc.Arbitrary<string> {
  const real = key ? mode.known[key] : undefined;
  if (real?.length) return fc.constantFrom(...real);
  if (s.format === "email") return fc.constant("fuzz@example.com");
  if (s.format === "uri" || s.format === "url")
    return fc.constantFrom("https://hooks.example.com/in", "http://127.0.0.1/x");
  if (s.format === "date-time") return fc.constantFrom("2031-01-01T00:00:00Z", "2020-01-01T00:00:00Z");
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? 24, 24);
  if (s.pattern) {
    const limit = s.maxLength ?? Infinity;
    return fc
      .stringMatching(new RegExp(s.pattern))
      .filter((text) => text.length >= min && text.length <= limit);
  }
  return fc.string({ minLength: min, maxLength: Math.max(min, max) });
}

function hostileString(s: JsonSchema): fc.Arbitrary<string> {
  const edges = [...NASTY_STRINGS];
  if (s.maxLength !== undefined && s.maxLength < 200_000) edges.push("x".repeat(s.maxLength + 1));
  return fc.oneof(fc.constantFrom(...edges), fc.string({ unit: "binary", maxLength: 16 }));
}

function validNumber(s: JsonSchema, integer: boolean): fc.Arbitrary<number> {
  const min = Math.max(
    s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : (s.minimum ?? -1000),
    -1e9,
  );
  const max = Math.min(s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : (s.maximum ?? 1000), 1e9);
  const small = fc.integer({ min, max: Math.min(max, Math.max(min, 0) + 50) });
  const inside = integer ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true });
  return fc.oneof(small, inside, fc.constantFrom(min, max));
}

function hostileNumber(s: JsonSchema): fc.Arbitrary<number> {
  const past = [(s.minimum ?? s.exclusiveMinimum ?? 0) - 1, (s.maximum ?? s.exclusiveMaximum ?? 1e9) + 1];
  return fc.constantFrom(...NASTY_NUMBERS, ...past);
}

/** A value for a JSON schema node (the property `key` holds it, when it is one). */
export function valueFor(s: JsonSchema, mode: Mode, key?: string, depth = 0): fc.Arbitrary<unknown> {
  const shaped: fc.Arbitrary<unknown>[] = [];
  if (s.enum) shaped.push(fc.constantFrom(...s.enum));
  for (const alternative of s.anyOf ?? s.oneOf ?? [])
    shaped.push(valueFor(alternative, mode, key, depth + 1));
  const types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  for (const type of types) {
    if (type === "string" && !s.enum) shaped.push(validString(s, key, mode));
    if (type === "integer" || type === "number") shaped.push(validNumber(s, type === "integer"));
    if (type === "boolean") shaped.push(fc.boolean());
    if (type === "null") shaped.push(fc.constant(null));
    if (type === "array" && depth < 4) {
      const min = s.minItems ?? 0;
      const max = Math.max(min, Math.min(s.maxItems ?? 4, 4));
      shaped.push(
        fc.array(valueFor(s.items ?? {}, mode, undefined, depth + 1), { minLength: min, maxLength: max }),
      );
    }
    if (type === "object" && depth < 4) shaped.push(objectFor(s, mode, depth));
  }
  if (shaped.length === 0) shaped.push(fc.jsonValue({ maxDepth: 2 }));
  const valid = fc.oneof(...shaped);
  if (!mode.hostile) return valid;
  const astray: fc.Arbitrary<unknown>[] = [fc.jsonValue({ maxDepth: 2 })];
  if (types.includes("string")) astray.push(hostileString(s));
  if (types.includes("integer") || types.includes("number")) astray.push(hostileNumber(s));
  if (types.includes("array"))
    astray.push(
      fc.array(fc.jsonValue({ maxDepth: 1 }), {
        minLength: (s.maxItems ?? 64) + 1,
        maxLength: (s.maxItems ?? 64) + 1,
      }),
    );
  return fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: fc.oneof(...astray) });
}

function objectFor(s: JsonSchema, mode: Mode, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const required = new Set(s.required ?? []);
  const entries = Object.entries(s.properties ?? {}).map(([key, sub]) => {
    const value = valueFor(sub, mode, key, depth + 1).map((v) => [key, v] as const);
    // A valid object has its required fields; a hostile one sometimes lacks them.
    if (required.has(key) && !mode.hostile) return value;
    return fc.option(value, { freq: required.has(key) ? 12 : 2, nil: undefined });
  });
  const extra = mode.hostile
    ? fc.option(fc.tuple(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 })), {
        freq: 6,
        nil: undefined,
      })
    : fc.constant(undefined);
  return fc.tuple(fc.tuple(...entries), extra).map(([pairs, more]) => {
    const object: Record<string, unknown> = {};
    for (const pair of pairs) if (pair) object[pair[0]] = pair[1];
    if (more) object[more[0]] = more[1];
    return object;
  });
}

export type FuzzRequest = {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | Bytes | undefined;
};

/** Path parameter values: usually a real object of the test's organisation, else something odd. */
function paramFor(name: string, known: Record<string, string[]>): fc.Arbitrary<string> {
  const real = known[name] ?? [];
  const odd = fc.oneof(
    fc.string({ minLength: 1, maxLength: 20, unit: "binary" }).map(escape),
    fc.constantFrom(
      "%",
      "%zz",
      "%00",
      "a%00b",
      "%E0%A4%A",
      "..",
      "%2e%2e",
      "x".repeat(300),
      "%F0%9F%98%80",
      "0",
    ),
  );
  return real.length
    ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...real) }, { weight: 1, arbitrary: odd })
    : odd;
}

/** Percent-encoding that also spells a lone surrogate, as the three bytes a careless encoder writes. */
function escape(text: string): string {
  let out = "";
  for (const ch of text) {
    const point = ch.codePointAt(0)!;
    if (point < 0xd800 || point > 0xdfff) out += encodeURIComponent(ch);
    else
      for (const byte of [0xe0 | (point >> 12), 0x80 | ((point >> 6) & 0x3f), 0x80 | (point & 0x3f)])
        out += `%${byte.toString(16).toUpperCase()}`;
  }
  return out;
}

/** Draws a value of `schema` in either mode: a valid one `validWeight` times as often as a hostile one. */
function eitherMode(schema: JsonSchema, known: Record<string, string[]>, validWeight: number) {
  return fc.oneof(
    { weight: validWeight, arbitrary: valueFor(schema, { hostile: false, known }) },
    { weight: 1, arbitrary: valueFor(schema, { hostile: true, known }) },
  );
}

function queryFor(route: Route, known: Record<string, string[]>): fc.Arbitrary<string> {
  const shaped = route.query
    ? eitherMode(jsonSchemaOf(route.query), known, 2).map((value) =>
        value !== null && typeof value === "object" && !Array.isArray(value)
          ? Object.entries(value)
              .filter(([, v]) => v !== undefined)
              .map(([k, v]) => `${escape(k)}=${escape(typeof v === "string" ? v : JSON.stringify(v))}`)
              .join("&")
          : "",
      )
    : fc.constant("");
  const junk = fc.constantFrom(
    `cursor=${Buffer.from("1e30").toString("base64url")}`,
    "limit=-5",
    "limit=1e309",
    "cursor=%",
    "q=%00",
    "dtype=f64",
    "after=99999999999999999999",
  );
  return fc.oneof({ weight: 4, arbitrary: shaped }, { weight: 1, arbitrary: junk });
}

const textOf = (value: unknown) => JSON.stringify(value) ?? "null";

function bodyFor(
  route: Route,
  known: Record<string, string[]>,
): fc.Arbitrary<{ body: string | Bytes | undefined; type: string | undefined }> {
  const json = (arbitrary: fc.Arbitrary<string | Bytes>, type = "application/json") =>
    arbitrary.map((body) => ({ body, type }));
  const garbage = [
    json(fc.jsonValue({ maxDepth: 3 }).map(textOf), "application/json"),
    json(fc.string({ maxLength: 40 })),
    json(fc.uint8Array({ maxLength: 64 })),
    json(fc.constantFrom("[".repeat(5000) + "]".repeat(5000), '{"a":', "\u0000", '"\\ud800"', "")),
    fc.constant({ body: undefined, type: undefined }),
  ];
  if (route.rawBody) {
    return fc.oneof(
      {
        weight: 3,
        arbitrary: fc
          .tuple(fc.uint8Array({ maxLength: 512 }), fc.constantFrom(...route.rawBody))
          .map(([body, type]) => ({ body, type })),
      },
      { weight: 1, arbitrary: fc.oneof(...garbage) },
    );
  }
  if (!route.body) return fc.oneof(fc.constant({ body: undefined, type: undefined }), ...garbage);
  const shaped = json(eitherMode(jsonSchemaOf(route.body), known, 1).map(textOf));
  return fc.oneof(
    { weight: 6, arbitrary: shaped },
    { weight: 1, arbitrary: shaped.map(({ body }) => ({ body, type: "text/plain" })) },
    { weight: 2, arbitrary: fc.oneof(...garbage) },
  );
}

/** Requests for one route: its method, a path with its parameters, a query, a body and headers. */
export function requestsFor(
  route: Route,
  key: string,
  known: Record<string, string[]>,
): fc.Arbitrary<FuzzRequest> {
  const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const params = names.length
    ? fc.tuple(...names.map((n) => paramFor(n, known)))
    : fc.constant([] as string[]);
  const auth = fc.oneof(
    { weight: 8, arbitrary: fc.constant(`Bearer ${key}`) },
    { weight: 1, arbitrary: fc.constantFrom("Bearer msk_nothing", "Bearer ", "Basic Zm9vOmJhcg==", "") },
  );
  return fc
    .tuple(params, queryFor(route, known), bodyFor(route, known), auth)
    .map(([values, query, { body, type }, authorization]) => {
      let path = route.path;
      names.forEach((n, i) => (path = path.replace(`{${n}}`, values[i]!)));
      const headers: Record<string, string> = {};
      if (authorization) headers.authorization = authorization;
      if (type) headers["content-type"] = type;
      return { method: route.method, path: query ? `${path}?${query}` : path, headers, body };
    });
}

export type FuzzAnswer = { status: number; type: string; problem: { code?: string } | null };

export async function send(baseUrl: string, request: FuzzRequest): Promise<FuzzAnswer> {
  const controller = new AbortController();
  const response = await fetch(`${baseUrl}${request.path}`, {
    method: request.method,
    headers: request.headers,
    body: request.method === "GET" || request.method === "DELETE" ? undefined : request.body,
    signal: controller.signal,
  });
  const type = response.headers.get("content-type") ?? "";
  if (type.startsWith("text/event-stream")) {
    // A stream that opened is an answer; it would otherwise run until the key goes away.
    controller.abort();
    return { status: response.status, type, problem: null };
  }
  const text = await response.text();
  let problem: FuzzAnswer["problem"] = null;
  if (type.includes("problem+json")) {
    try {
      problem = JSON.parse(text);
    } catch {
      problem = null;
    }
  }
  return { status: response.status, type, problem };
}

/** 5xx answers the contract names: a server configured without payments says so. */
const DOCUMENTED_5XX = new Set(["payments_unconfigured"]);

/** What every answer must be: below 500 (or a documented 503), and a refusal a problem document with a code. */
export function acceptable(answer: FuzzAnswer): boolean {
  if (answer.status >= 500 && !(answer.status === 503 && DOCUMENTED_5XX.has(answer.problem?.code ?? "")))
    return false;
  if (answer.status >= 400)
    return answer.type.includes("application/problem+json") && typeof answer.problem?.code === "string";
  return true;
}

/** What a byte string can be turned into: one mutation of a real payload. */
type Bytes = Uint8Array<ArrayBuffer>;
type Mutation = (bytes: Bytes) => Bytes;

const concat = (...parts: Uint8Array[]): Bytes => new Uint8Array(Buffer.concat(parts));
const deepLine = (depth: number) =>
  Buffer.from(`\n{"text":"deep","metadata":${'{"a":'.repeat(depth)}1${"}".repeat(depth)}}\n`);

/** Snippets spliced into payloads: NULs, invalid UTF-8, a lone surrogate's bytes, deep nesting. */
const SPLICES = [
  Buffer.from([0]),
  Buffer.from("a\u0000b"),
  Buffer.from([0xc3, 0x28]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xff, 0xfe, 0xfd]),
  Buffer.from('\n{"text":"nul \\u0000 inside"}\n'),
  Buffer.from('\n{"text":"lone \\ud800"}\n'),
  Buffer.from(`\n{"text":"${"9".repeat(400)}","tags":[${"1e400,".repeat(10)}1]}\n`),
  deepLine(20_000),
  Buffer.from("\n" + "[".repeat(20_000) + "\n"),
  Buffer.from("\n{}\n[]\nnull\n"),
];

/** Little-endian u64 values for a length field: zero, tiny, past the file, past anything. */
const LENGTHS = [0n, 1n, 7n, 1n << 20n, 1n << 31n, (1n << 53n) + 1n, (1n << 64n) - 1n];

function mutation(): fc.Arbitrary<Mutation> {
  const at = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
  return fc.oneof(
    { depthSize: "small", withCrossShrink: false },
    fc.tuple(at, fc.integer({ min: 0, max: 255 })).map(([where, byte]): Mutation => (b) => {
      const out = new Uint8Array(b);
      if (out.length) out[Math.floor(where * out.length)] = byte;
      return out;
    }),
    at.map(
      (where): Mutation =>
        (b) =>
          b.slice(0, Math.max(1, Math.floor(where * b.length))),
    ),
    fc.tuple(at, fc.constantFrom(...SPLICES)).map(([where, splice]): Mutation => (b) => {
      const cut = Math.floor(where * b.length);
      return concat(b.subarray(0, cut), splice, b.subarray(cut));
    }),
    fc.constantFrom(...LENGTHS).map((length): Mutation => (b) => {
      const out = new Uint8Array(b);
      if (out.length >= 8) new DataView(out.buffer).setBigUint64(0, length, true);
      return out;
    }),
    fc.tuple(at, at).map(([from, to]): Mutation => (b) => {
      const [start, end] = [
        Math.floor(Math.min(from, to) * b.length),
        Math.floor(Math.max(from, to) * b.length),
      ];
      return concat(b.subarray(0, end), b.subarray(start, end), b.subarray(end));
    }),
    fc.constant<Mutation>(() => new Uint8Array(0)),
  );
}

/** A real payload with one to three mutations applied. */
export function mutations(bytes: Uint8Array): fc.Arbitrary<Bytes> {
  return fc
    .array(mutation(), { minLength: 1, maxLength: 3 })
    .map((steps) => steps.reduce((b, step) => step(b), new Uint8Array(bytes)));
}
