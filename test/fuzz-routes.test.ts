import { ROUTES } from "@memstore/web";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TINY_CONFIG, TINY_TOKENIZER_SHA256 } from "./support/binary-fixtures.ts";
import {
  acceptable,
  type FuzzAnswer,
  type FuzzRequest,
  fuzzSeed,
  requestsFor,
  send,
} from "./support/fuzz.ts";
import { openHttpTestbed } from "./support/http-testbed.ts";

/**
 * Every REST route, fuzzed: requests generated from the route's own schemas — mostly near-valid,
 * against the organisation's real objects, so they reach the services — with values at and past
 * every bound, characters Postgres cannot store, broken escapes, wrong media types and garbage.
 * Every answer must be below 500, and every refusal problem+json with a code.
 *
 * The seed is fixed so a failure reproduces; FUZZ_SEED and FUZZ_RUNS (per route) widen a run
 * (`npm run fuzz` runs many more, with a fresh seed it prints).
 */
const SEED = fuzzSeed();
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);

let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let key: string;
const known: Record<string, string[]> = {};
const tally = { tried: 0, byStatus: new Map<number, number>(), unacceptable: [] as string[] };

beforeAll(async () => {
  bed = await openHttpTestbed();
  key = await bed.organization("Fuzzers", "owner@fuzzers.example.com");
  const made = (method: string, path: string, body?: unknown) => bed.apiOk(key, method, path, body);
  const vault = await made("POST", "/api/v1/vaults", { name: "main" });
  const memory = await made("POST", `/api/v1/vaults/${vault.id}/memories`, {
    text: "The crane is rated 40 t.",
  });
  const cube = await made("POST", "/api/v1/cubes", { slug: "fuzz-notes", type: "plaintext", title: "Notes" });
  await made("POST", `/api/v1/cubes/${cube.id}/versions`, { version: "1.0.0" });
  const { listing } = await bed.listedCube(
    "fuzz-source",
    "# Cranes\n\nStorm cranes are lashed at 40 knots.\n",
  );
  await made("POST", `/api/v1/store/listings/${listing.id}/acquire`);
  const install = await made("POST", `/api/v1/vaults/${vault.id}/installs`, { listing_id: listing.id });
  const subscription = await made("POST", "/api/v1/subscriptions", {
    filter: { listing_id: listing.id },
    delivery: { sse: true },
  });
  const spare = await made("POST", "/api/v1/keys", { name: "spare", scopes: ["vault:read"] });
  const model = await made("POST", "/api/v1/base-models", {
    name: "fuzz/tiny",
    config: TINY_CONFIG,
    tokenizer_sha256: TINY_TOKENIZER_SHA256,
  });
  const context = await made("POST", `/api/v1/vaults/${vault.id}/context`, {
    query: "cranes",
    max_tokens: 200,
  });
  Object.assign(known, {
    context_id: [context.id],
    vault_id: [vault.id],
    memory_id: [memory.id],
    cube_id: [cube.id],
    version: ["1.0.0"],
    listing_id: [listing.id],
    install_id: [install.id],
    subscription_id: [subscription.id],
    key_id: [spare.id],
    model_id: [model.id],
  });
});

afterAll(async () => {
  // Closing lets running jobs finish and drops retries (webhooks to hosts that do not resolve here).
  await bed?.close();
  const statuses = [...tally.byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
  console.log(
    `route fuzz (seed ${SEED}): ${tally.tried} requests, ${tally.unacceptable.length} unacceptable; ${statuses.join(" ")}`,
  );
});

const describeRequest = (r: FuzzRequest, a: FuzzAnswer) =>
  `${r.method} ${r.path} [${r.headers["content-type"] ?? "-"}] ${
    typeof r.body === "string" ? r.body.slice(0, 200) : `${r.body?.length ?? 0} bytes`
  } → ${a.status} ${a.type} ${a.problem?.code ?? ""}`;

// Deletions last, so the objects the other routes reach still exist while they are fuzzed.
const ordered = [...ROUTES].sort((a, b) => Number(a.method === "DELETE") - Number(b.method === "DELETE"));

describe("every route answers generated requests below 500, refusals as problem+json", () => {
  for (const route of ordered) {
    it(`${route.method} ${route.path}`, async () => {
      await fc.assert(
        fc.asyncProperty(requestsFor(route, key, known), async (request) => {
          const answer = await send(bed.server.url, request);
          tally.tried++;
          tally.byStatus.set(answer.status, (tally.byStatus.get(answer.status) ?? 0) + 1);
          if (!acceptable(answer)) tally.unacceptable.push(describeRequest(request, answer));
          return acceptable(answer);
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
    });
  }

  it("answered every request acceptably", () => {
    expect(tally.unacceptable).toEqual([]);
    expect(tally.tried).toBeGreaterThanOrEqual(ROUTES.length * RUNS);
  });
});
