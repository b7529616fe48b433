import { createMemory } from "@memstore/api/memories";
import { createVault, installListing } from "@memstore/api/vaults";
import { searchVault } from "@memstore/api/search";
import {
  chunkVectorStatement,
  EXACT_SCAN_MAX_CHUNKS,
  exactVectorStatement,
  fusedHybridHits,
  keywordHitsAllThenAny,
  keywordStatement,
  scopeFilters,
  vectorHits,
  type VisibleVersion,
} from "@memstore/api/internal";
import { acquireListing } from "@memstore/api/store";
import { createListing, publishListing } from "@memstore/api/listings";
import { authenticateApiKey, createOrganization } from "@memstore/api/identity";
import { fuseByReciprocalRank, manifestDraftSchema, newId, type Subject } from "@memstore/core";
import {
  cubes,
  cubeVersions,
  queryRows,
  queryRowsWithSettings,
  setLocal,
  sql,
  toVectorLiteral,
} from "@memstore/db";
import type { SQL } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestContext, type TestContext } from "./support/context.ts";

/**
 * Vector search picks its plan from the number of chunks the vault can see, not from the planner's
 * statistics: a vault holding a small share of the store is scanned exactly (never the HNSW index),
 * one above EXACT_SCAN_MAX_CHUNKS goes through the HNSW index with its versions as a filter. Both
 * before the table was ever analysed (default estimates) and after, and both answer the exact top k.
 */
let t: TestContext;
let subscriber: Subject;
const DIM = 384;

/** Deterministic unit vectors around 40 topics, as sentence embeddings cluster (uniform noise in 384
 * dimensions would leave every neighbour equally far, which no index is built for). */
function vectors(n: number, seed: number): Float32Array[] {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32 - 0.5;
  };
  let c = 7;
  const topics = Array.from({ length: 40 }, () =>
    Float32Array.from({ length: DIM }, () => {
      c ^= c << 13;
      c ^= c >>> 17;
      c ^= c << 5;
      return (c >>> 0) / 2 ** 32 - 0.5;
    }),
  );
  return Array.from({ length: n }, () => {
    const topic = topics[Math.floor((next() + 0.5) * topics.length)]!;
    const v = Float32Array.from(topic, (t) => t + 0.4 * next());
    const norm = Math.hypot(...v);
    return v.map((d) => d / norm);
  });
}

type Corpus = { cubeId: string; versionId: string; vectors: Float32Array[]; listingId: string };

/** A ready version of `n` chunks inserted straight into the tables (the pipeline is tested elsewhere). */
async function corpus(
  publisher: Subject,
  orgId: string,
  slug: string,
  n: number,
  seed: number,
): Promise<Corpus> {
  const cubeId = newId("cube");
  const versionId = newId("ver");
  await t.ctx.db.insert(cubes).values({ id: cubeId, orgId, slug, type: "plaintext", title: slug });
  await t.ctx.db.insert(cubeVersions).values({
    id: versionId,
    cubeId,
    orgId,
    version: "1.0.0",
    status: "ready",
    manifest: {
      schema: "memcube/1",
      publisher: "plans",
      cube: slug,
      version: "1.0.0",
      parent: null,
      type: "plaintext",
      title: slug,
      description: "",
      tags: [],
      created: new Date().toISOString(),
      ...manifestDraftSchema.parse({}),
      payload: null,
    },
    embeddingModel: t.ctx.embedder.model,
    embeddingDim: DIM,
    chunkCount: n,
    readyAt: new Date(),
  });
  const vs = vectors(n, seed);
  for (let i = 0; i < n; i += 1000) {
    const slice = vs.slice(i, i + 1000);
    await t.ctx.db.execute(sql`
      insert into chunks (id, version_id, cube_id, position, text, embedding, embedding_dim)
      select ${slug} || '_' || position, ${versionId}, ${cubeId}, position, text, embedding::vector, ${DIM}
      from unnest(${sql.param(slice.map((_, j) => i + j))}::int[],
                  ${sql.param(slice.map((_, j) => `${slug} chunk ${i + j} harbour ${j % 7 === 0 ? "crane" : "quay"}`))}::text[],
                  ${sql.param(slice.map((v) => toVectorLiteral(v)))}::text[]) as t(position, text, embedding)`);
  }
  const listing = await createListing(t.ctx, publisher, {
    cube_id: cubeId,
    visibility: "public",
    pricing: { model: "free" },
  });
  await publishListing(t.ctx, publisher, listing.id);
  return { cubeId, versionId, vectors: vs, listingId: listing.id };
}

let small: Corpus;
let large: Corpus;
const vaults: Record<"small" | "large", string> = { small: "", large: "" };

beforeAll(async () => {
  t = await openTestContext("postgres");
  const pub = await createOrganization(t.ctx, {
    name: "Plan Publisher",
    ownerEmail: "pub@plans.example.com",
  });
  const publisher = await authenticateApiKey(t.ctx, pub.api_key);
  const sub = await createOrganization(t.ctx, { name: "Plan Reader", ownerEmail: "sub@plans.example.com" });
  subscriber = await authenticateApiKey(t.ctx, sub.api_key);
  small = await corpus(publisher, pub.org_id, "small-guide", 300, 1);
  large = await corpus(publisher, pub.org_id, "large-corpus", EXACT_SCAN_MAX_CHUNKS + 1000, 2);
  for (const [name, c] of [
    ["small", small],
    ["large", large],
  ] as const) {
    await acquireListing(t.ctx, subscriber, c.listingId);
    const vault = await createVault(t.ctx, subscriber, { name });
    await installListing(t.ctx, subscriber, vault.id, { listing_id: c.listingId, version_policy: "latest" });
    vaults[name] = vault.id;
  }
  await t.runner.idle();
}, 180_000);
afterAll(async () => t?.dispose());

/** The plan Postgres runs a statement with, under its settings as the search applies them. */
async function plan(statement: { settings: Record<string, string> | null; query: SQL }): Promise<string> {
  const explain = sql`explain ${statement.query}`;
  const rows = await (statement.settings
    ? queryRowsWithSettings<{ "QUERY PLAN": string }>(t.ctx.db, statement.settings, explain)
    : queryRows<{ "QUERY PLAN": string }>(t.ctx.db, explain));
  return rows.map((r) => r["QUERY PLAN"]).join("\n");
}

const visible = (c: Corpus, chunks: number): VisibleVersion[] => [
  {
    version_id: c.versionId,
    install_id: "inst_x",
    cube_id: c.cubeId,
    cube_slug: "x",
    version: "1.0.0",
    publisher: "x",
    canaries: false,
    marks: "off",
    chunks,
    listing_id: "",
    share_cap: null,
  },
];

/** The exact top 10 of a corpus for a query, by cosine (the vectors are unit length). */
function exactTop(c: Corpus, slug: string, q: Float32Array, k = 10): string[] {
  return c.vectors
    .map((v, i) => ({ id: `${slug}_${i}`, dot: v.reduce((s, x, d) => s + x * q[d]!, 0) }))
    .sort((a, b) => b.dot - a.dot)
    .slice(0, k)
    .map((h) => h.id);
}

describe.each(["before the chunks are analysed", "after analyze"])("search plans, %s", (when) => {
  beforeAll(async () => {
    if (when === "after analyze") await t.ctx.db.execute(sql`analyze chunks`);
  });
  const query = vectors(1, 99)[0]!;

  it("scans a small vault exactly, never through the HNSW index, and answers the exact top 10", async () => {
    const scope = scopeFilters(vaults.small, visible(small, 300), {}, true);
    expect(scope.plan).toBe("exact");
    // What the service runs under the exact plan: the chunks and the memories in one statement.
    const explained = await plan({ settings: null, query: exactVectorStatement(scope, DIM, query, 10) });
    expect(explained).not.toContain("chunks_embedding_384_hnsw");
    expect(explained).toMatch(/chunks_version_position_uq|Seq Scan on chunks/);
    const keyword = await queryRows<{ "QUERY PLAN": string }>(
      t.ctx.db,
      sql`explain ${keywordStatement(scope, "crane", 50)}`,
    );
    expect(keyword.map((r) => r["QUERY PLAN"]).join("\n")).not.toContain("chunks_tsv_gin");

    const rows = await queryRows<{ id: string }>(t.ctx.db, exactVectorStatement(scope, DIM, query, 10));
    expect(rows.map((r) => r.id)).toEqual(exactTop(small, "small-guide", query));

    // The service itself: the query embedded, the vault's chunks counted at admission, the same plan.
    const [embedded] = await t.ctx.embedder.embed(["harbour crane inspection"]);
    const { results } = await searchVault(t.ctx, subscriber, vaults.small, {
      query: "harbour crane inspection",
      top_k: 10,
      filter: {},
      mode: "vector",
    });
    expect(results.map((r) => r.id)).toEqual(exactTop(small, "small-guide", embedded!));
    expect(results[0]!.cube).toMatchObject({ id: small.cubeId, version: "1.0.0" });
  });

  it("searches a vault above the threshold through the HNSW index, filtered by its versions", async () => {
    const scope = scopeFilters(vaults.large, visible(large, EXACT_SCAN_MAX_CHUNKS + 1000), {}, true, 6300);
    expect(scope.plan).toBe("index");
    // The same vault in a store of a million chunks is under 1 % of it: scanned exactly.
    expect(scopeFilters(vaults.large, visible(large, EXACT_SCAN_MAX_CHUNKS + 1000), {}, true, 1e6).plan).toBe(
      "exact",
    );
    const statement = chunkVectorStatement(scope, DIM, query, 10);
    // ef_search follows the index's size: 100 for a graph of a few thousand chunks (recall is
    // checked below through this statement), 200 once the store holds millions.
    expect(statement.settings?.["hnsw.ef_search"]).toBe("100");
    const inLargeStore = scopeFilters(vaults.large, visible(large, 50_000), {}, true, 1e6);
    expect(inLargeStore.plan).toBe("index");
    expect(chunkVectorStatement(inLargeStore, DIM, query, 10).settings?.["hnsw.ef_search"]).toBe("200");
    const explained = await plan(statement);
    expect(explained).toContain("Index Scan using chunks_embedding_384_hnsw");
    // Keywords above the threshold are planned with their words known: a rare one goes through the
    // GIN index alone (never ANDed with a bitmap of all the versions' chunks)…
    const keywordPlan = async (word: string) =>
      (await queryRows<{ "QUERY PLAN": string }>(t.ctx.db, sql`explain ${keywordStatement(scope, word, 50)}`))
        .map((r) => r["QUERY PLAN"])
        .join("\n");
    const rare = await keywordPlan("4242");
    expect(rare).toContain("chunks_tsv_gin");
    expect(rare).not.toContain("chunks_version_position_uq");
    // …and one in every chunk, once the planner knows that, by reading the table until enough
    // matched rather than building a bitmap of every match.
    if (when === "after analyze") {
      const common = await keywordPlan("harbour");
      expect(common).toContain("Seq Scan on chunks");
      expect(common).not.toContain("chunks_tsv_gin");
    }
    const rows = await t.ctx.db.transaction(async (tx) => {
      await tx.execute(setLocal(statement.settings!));
      return queryRows<{ id: string }>(tx, statement.query);
    });
    const exact = exactTop(large, "large-corpus", query);
    expect(rows.filter((r) => exact.includes(r.id)).length).toBeGreaterThanOrEqual(9);

    const [embedded] = await t.ctx.embedder.embed(["harbour quay berth"]);
    const { results } = await searchVault(t.ctx, subscriber, vaults.large, {
      query: "harbour quay berth",
      top_k: 10,
      filter: {},
      mode: "vector",
    });
    // The service answers what the filtered HNSW statement does for the same query (a hashed text
    // query lies far from this random corpus, where no index promises recall; the statement's
    // recall is checked above with a query from the corpus' own distribution).
    const viaIndex = await t.ctx.db.transaction(async (tx) => {
      const same = chunkVectorStatement(scope, DIM, embedded!, 10);
      await tx.execute(setLocal(same.settings!));
      return queryRows<{ id: string }>(tx, same.query);
    });
    expect(results.map((r) => r.id)).toEqual(viaIndex.map((r) => r.id));
    // As of now, through the same index plan (its statement is written out with literals): the same.
    const asOfNow = await searchVault(t.ctx, subscriber, vaults.large, {
      query: "harbour quay berth",
      top_k: 10,
      filter: {},
      mode: "vector",
      as_of: new Date().toISOString(),
    });
    expect(asOfNow.results.map((r) => r.id)).toEqual(results.map((r) => r.id));

    // A keyword search over the large vault finds the one chunk holding every word, whichever way
    // the planner reads the matches.
    for (const mode of ["keyword", "hybrid"] as const) {
      const found = await searchVault(t.ctx, subscriber, vaults.large, {
        query: "harbour 4242",
        top_k: 5,
        filter: {},
        mode,
      });
      expect(found.results.map((r) => r.id)).toContain("large-corpus_4242");
      if (mode === "keyword") expect(found.results[0]!.id).toBe("large-corpus_4242");
    }
  });
});

describe("hybrid search under the exact plan", () => {
  it("is fused in Postgres exactly as the two sides' lists fused in Node: the same hits, order and scores", async () => {
    // Own memories beside the installed chunks, so both sources meet in both sides and the fusion.
    // Their ranks differ (how often and how close the words stand), so the order is the ranks', not ids'.
    for (const text of [
      "harbour crane log kept by the pilot",
      "crane inspection before the tide",
      "crane crane crane: harbour harbour, crane",
      "the crane stood far from where the old harbour wall met the quay and the sea",
      "pilot notes on quay inspection",
    ]) {
      await createMemory(t.ctx, subscriber, vaults.small, { text });
    }
    await t.runner.idle();
    const scope = scopeFilters(vaults.small, visible(small, 300), {}, true, 1e6);
    expect(scope.plan).toBe("exact");
    // Fewer than k chunks hold both words (the any-word tier runs); one word alone (a single tier).
    for (const text of ["harbour crane", "crane", "quay inspection pilot"]) {
      const [vector] = await t.ctx.embedder.embed([text]);
      const sides = await Promise.all([
        vectorHits(t.ctx.db, scope, DIM, vector!, 50),
        keywordHitsAllThenAny(t.ctx.db, scope, text, 50),
      ]);
      expect(sides[1].length).toBeGreaterThan(10);
      expect(new Set(sides[1].map((h) => h.rank_value)).size).toBeGreaterThan(1);
      const inNode = fuseByReciprocalRank(
        sides.map((list) => list.map((h) => ({ key: h.id, item: h }))),
      ).slice(0, 10);
      const inSql = await fusedHybridHits(t.ctx.db, {
        scope,
        dimension: DIM,
        vector: vector!,
        text: text,
        k: 50,
        topK: 10,
      });
      expect(inSql!.map((r) => [r.id, r.rank_value])).toEqual(inNode.map((f) => [f.key, f.score]));
      expect(inSql!.map((r) => r.text)).toEqual(inNode.map((f) => f.item.text));
      // The service's hybrid search answers exactly these.
      const { results } = await searchVault(t.ctx, subscriber, vaults.small, {
        query: text,
        top_k: 10,
        filter: {},
        mode: "hybrid",
      });
      expect(results.map((r) => [r.id, r.score])).toEqual(inNode.map((f) => [f.key, f.score]));
    }
    // Both sources are among the answers.
    const [vector] = await t.ctx.embedder.embed(["harbour crane"]);
    const rows = await fusedHybridHits(t.ctx.db, {
      scope,
      dimension: DIM,
      vector: vector!,
      text: "harbour crane",
      k: 50,
      topK: 10,
    });
    expect(new Set(rows!.map((r) => r.source))).toEqual(new Set(["install", "memory"]));
    // A text with no words has no keyword side to fuse in SQL.
    expect(
      await fusedHybridHits(t.ctx.db, { scope, dimension: DIM, vector: vector!, text: "…", k: 50, topK: 10 }),
    ).toBeNull();
  });
});
