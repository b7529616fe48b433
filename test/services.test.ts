import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { type AppContext } from "@memstore/api";
import { verifyAuditChain } from "@memstore/api/audit";
import { authenticateApiKey, createOrganization } from "@memstore/api/identity";
import { createCube, createVersion, getVersion, submitVersion, uploadPayload } from "@memstore/api/catalog";
import { createListing, publishListing } from "@memstore/api/listings";
import { acquireListing, searchListings } from "@memstore/api/store";
import {
  archiveMemory,
  createMemory,
  listMemories,
  memoryHistory,
  updateMemory,
} from "@memstore/api/memories";
import { createVault, installListing } from "@memstore/api/vaults";
import { searchVault } from "@memstore/api/search";
import type { Subject } from "@memstore/core";
import { auditLog, chunks, queryRows, sql } from "@memstore/db";
import { OnnxEmbedder } from "@memstore/inference";
import { writeTinyEncoder } from "@memstore/inference/testing";
import { createProcessors, InProcessRunner } from "@memstore/workers";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DatabaseKind, openTestContext, type TestContext } from "./support/context.ts";
import { readFingerprints, stripMarks } from "@memstore/watermark";

const JSONL = [
  {
    text: "The standard VAT rate in France is 20 percent.",
    tags: ["tax", "france"],
    metadata: { source: "code général des impôts" },
  },
  { text: "Luxembourg applies the lowest standard VAT rate in the EU, 17 percent.", tags: ["tax"] },
  { text: "Kubernetes restarts a container that exceeds its memory limit (OOMKilled).", tags: ["sre"] },
]
  .map((item) => JSON.stringify(item))
  .join("\n");

const MARKDOWN = `# Sailing handbook

## Knots
The bowline makes a fixed loop at the end of a line and does not slip.

## Weather
A falling barometer announces a depression; reef the mainsail early.
`;

const body = (text: string | Buffer) => Readable.from([Buffer.from(text)]);

/** The calls metered for an organisation, all days and installs together. */
async function callsCounted(ctx: AppContext, orgId: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    ctx.db,
    sql`select coalesce(sum(calls), 0)::int as n from usage_daily where org_id = ${orgId}`,
  );
  return row!.n;
}

describe.each<DatabaseKind>(["postgres", "pglite"])("services on %s", (kind) => {
  let t: TestContext;
  let ctx: AppContext;
  let publisher: Subject;
  let subscriber: Subject;
  let outsider: Subject;

  beforeAll(async () => {
    t = await openTestContext(kind, { MAX_PLAINTEXT_BYTES: "4096" });
    ctx = t.ctx;
    const a = await createOrganization(ctx, {
      name: "Acme Experts",
      ownerEmail: "pub@acme.test",
      ownerPassword: "correct horse",
    });
    const b = await createOrganization(ctx, { name: "Globex", ownerEmail: "ops@globex.test" });
    const c = await createOrganization(ctx, { name: "Initech", ownerEmail: "it@initech.test" });
    publisher = await authenticateApiKey(ctx, a.api_key);
    subscriber = await authenticateApiKey(ctx, b.api_key);
    outsider = await authenticateApiKey(ctx, c.api_key);
  });
  afterAll(() => t.dispose());

  async function publish(slug: string, payload: string | Buffer, contentType: string, version = "1.0.0") {
    const cube = await createCube(ctx, publisher, { slug, type: "plaintext", title: slug });
    await createVersion(ctx, publisher, cube.id, { version });
    await uploadPayload(ctx, publisher, { cubeId: cube.id, version }, body(payload), contentType);
    await submitVersion(ctx, publisher, cube.id, version);
    await t.runner.idle();
    return { cube, version: await getVersion(ctx, publisher, cube.id, version) };
  }

  async function publishListed(slug: string, payload: string, contentType: string) {
    const { cube, version } = await publish(slug, payload, contentType);
    const listing = await createListing(ctx, publisher, {
      cube_id: cube.id,
      visibility: "public",
      pricing: { model: "free" },
      terms: {},
    });
    await publishListing(ctx, publisher, listing.id);
    return { cube, version, listing };
  }

  it("takes a JSONL version through ingest and embed to ready, with a report per stage", async () => {
    const { version } = await publish("vat-facts", JSONL, "application/x-ndjson");
    expect(version.status).toBe("ready");
    expect(version.runs.map((r) => [r.kind, r.status])).toEqual([
      ["ingest", "succeeded"],
      ["desensitise", "succeeded"],
      ["convert", "succeeded"],
      ["embed", "succeeded"],
      // No questions attached: evaluated as skipped, and signed.
      ["evaluate", "succeeded"],
      ["sign", "succeeded"],
    ]);
    expect(version.runs[0]!.report).toMatchObject({ format: "jsonl", items: 3 });
    expect(version.runs[1]!.report).toMatchObject({
      format: "jsonl",
      residual_risk: "none",
      blocking_types: [],
    });
    expect(version.runs[3]!.report).toMatchObject({ chunks: 3, dimension: 384, model: "hash-ngram-v1-384" });
    expect(version.signature).toEqual(expect.any(String));
    expect(version.manifest).toMatchObject({
      schema: "memcube/1",
      publisher: "acme-experts",
      payload: { items: 3 },
    });
  });

  it("chunks a Markdown document along its headings", async () => {
    const { version } = await publish("sailing", MARKDOWN, "text/markdown");
    expect(version.status).toBe("ready");
    const rows = await ctx.db.select().from(chunks).where(eq(chunks.versionId, version.id));
    expect(rows.map((r) => r.heading).sort()).toEqual([
      "Sailing handbook › Knots",
      "Sailing handbook › Weather",
    ]);
  });

  it("rejects an invalid JSONL line with a report naming the line", async () => {
    const bad = `${JSONL}\n{"text": "ok"}\n{"tags": ["no text"]}\n`;
    const { version } = await publish("bad-jsonl", bad, "application/x-ndjson");
    expect(version.status).toBe("rejected");
    expect(version.runs[0]!.report.error).toMatchObject({ code: "invalid_jsonl", line: 5 });
    const stored = await ctx.db.select().from(chunks).where(eq(chunks.versionId, version.id));
    expect(stored).toEqual([]);
  });

  it("rejects invalid UTF-8 with the byte offset, and an empty payload", async () => {
    const bytes = Buffer.concat([
      Buffer.from("# Title\n\nfine text "),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(" more"),
    ]);
    const { version } = await publish("bad-utf8", bytes, "text/markdown");
    expect(version.status).toBe("rejected");
    expect(version.runs[0]!.report.error).toMatchObject({ code: "invalid_utf8", byte_offset: 19 });

    const empty = await publish("empty", "", "text/plain");
    expect(empty.version.status).toBe("rejected");
    expect(empty.version.runs[0]!.report.error).toMatchObject({ code: "empty_payload" });
  });

  it("refuses a payload over the size cap and one of the wrong media type, storing nothing", async () => {
    const cube = await createCube(ctx, publisher, { slug: "too-big", type: "plaintext", title: "x" });
    await createVersion(ctx, publisher, cube.id, { version: "1.0.0" });
    await expect(
      uploadPayload(
        ctx,
        publisher,
        { cubeId: cube.id, version: "1.0.0" },
        body("x".repeat(5000)),
        "text/plain",
      ),
    ).rejects.toMatchObject({
      code: "payload_too_large",
      status: 413,
    });
    await expect(
      uploadPayload(
        ctx,
        publisher,
        { cubeId: cube.id, version: "1.0.0" },
        body("x"),
        "application/octet-stream",
      ),
    ).rejects.toMatchObject({
      code: "unsupported_media_type",
      status: 415,
    });
    await expect(submitVersion(ctx, publisher, cube.id, "1.0.0")).rejects.toMatchObject({
      code: "payload_missing",
    });
    await expect(createVersion(ctx, publisher, cube.id, { version: "1.0.0" })).rejects.toMatchObject({
      code: "version_exists",
      status: 409,
    });
  });

  it("takes only exact prices, and refuses publishing without a ready version", async () => {
    const cube = await createCube(ctx, publisher, { slug: "not-ready", type: "plaintext", title: "x" });
    for (const pricing of [
      { model: "one_time", amount_cents: 900 },
      { model: "one_time", amount_cents: 9.5, currency: "usd" },
      { model: "one_time", amount_cents: 1_000_000_000, currency: "usd" },
      { model: "one_time", amount_cents: 900, currency: "USD" },
      { model: "subscription", amount_cents: 500, currency: "eur" },
    ]) {
      await expect(
        createListing(ctx, publisher, { cube_id: cube.id, visibility: "public", pricing: pricing as never }),
        JSON.stringify(pricing),
      ).rejects.toMatchObject({ name: "ZodError" });
    }
    const paid = await createListing(ctx, publisher, {
      cube_id: cube.id,
      visibility: "public",
      pricing: { model: "one_time", amount_cents: 900, currency: "usd" },
    });
    expect(paid.pricing).toEqual({ model: "one_time", amount_cents: 900, currency: "usd" });
    const listing = await createListing(ctx, publisher, {
      cube_id: cube.id,
      visibility: "public",
      pricing: { model: "free" },
      terms: {},
    });
    await expect(publishListing(ctx, publisher, listing.id)).rejects.toMatchObject({
      code: "no_ready_version",
      status: 409,
    });
  });

  it("lets a subscriber find, acquire, install and search a listing, with provenance", async () => {
    const { listing, cube } = await publishListed("eu-vat", JSONL, "application/x-ndjson");
    const store = await searchListings(ctx, subscriber, { q: "Luxembourg", limit: 10 });
    expect(store.items.map((i) => i.id)).toContain(listing.id);

    const vault = await createVault(ctx, subscriber, { name: "agents" });
    await expect(
      installListing(ctx, subscriber, vault.id, { listing_id: listing.id, version_policy: "latest" }),
    ).rejects.toMatchObject({
      code: "entitlement_required",
      status: 402,
    });
    await acquireListing(ctx, subscriber, listing.id);
    const install = await installListing(ctx, subscriber, vault.id, {
      listing_id: listing.id,
      version_policy: "^1",
    });
    expect(install).toMatchObject({
      version: "1.0.0",
      state: "activated",
      cube: { slug: "eu-vat", publisher: "acme-experts" },
    });

    const countedBefore = await callsCounted(ctx, subscriber.orgId);
    const { results } = await searchVault(ctx, subscriber, vault.id, {
      query: "VAT rate France",
      top_k: 2,
      filter: {},
      mode: "hybrid",
    });
    // Installed text goes out marked with this organisation's fingerprint, invisible in the text.
    expect(readFingerprints(results[0]!.text).marked).toBe(true);
    expect({ ...results[0], text: stripMarks(results[0]!.text) }).toMatchObject({
      text: "The standard VAT rate in France is 20 percent.",
      source: "install",
      cube: {
        id: cube.id,
        slug: "eu-vat",
        version: "1.0.0",
        publisher: "acme-experts",
        install_id: install.id,
      },
      metadata: { source: "code général des impôts", tags: ["tax", "france"] },
    });
    const tagged = await searchVault(ctx, subscriber, vault.id, {
      query: "memory limit",
      top_k: 5,
      filter: { tags: ["sre"] },
      mode: "keyword",
    });
    expect(tagged.results.map((r) => stripMarks(r.text))).toEqual([
      "Kubernetes restarts a container that exceeds its memory limit (OOMKilled).",
    ]);
    // Each search is counted. The count commits without waiting for its WAL, and that setting ends
    // with its statement: everything else on those connections still commits durably.
    expect(await callsCounted(ctx, subscriber.orgId)).toBe(countedBefore + 2);
    const commits = await Promise.all(
      Array.from({ length: 12 }, () =>
        queryRows<{ mode: string }>(ctx.db, sql`select current_setting('synchronous_commit') as mode`),
      ),
    );
    for (const [row] of commits) expect(row!.mode).toBe("on");
  });

  it("stores a version's chunks once, whatever the number of subscribing vaults", async () => {
    const { listing, version } = await publishListed("shared-once", JSONL, "application/x-ndjson");
    const count = async () =>
      (
        await queryRows<{ n: number }>(
          ctx.db,
          sql`select count(*)::int as n from chunks where version_id = ${version.id}`,
        )
      )[0]!.n;
    await acquireListing(ctx, subscriber, listing.id);
    await acquireListing(ctx, outsider, listing.id);
    for (const [i, who] of [subscriber, outsider, subscriber].entries()) {
      const vault = await createVault(ctx, who, { name: `shared-${i}` });
      await installListing(ctx, who, vault.id, { listing_id: listing.id, version_policy: "latest" });
    }
    expect(await count()).toBe(3);
  });

  it("keeps an agent's own memories with a version chain, and archives them out of search", async () => {
    const vault = await createVault(ctx, subscriber, { name: "memories" });
    const m = await createMemory(ctx, subscriber, vault.id, {
      text: "Customer Zorblax prefers invoices in euros",
      tags: ["billing"],
    });
    expect(m.version).toBe(1);
    const v2 = await updateMemory(ctx, subscriber, vault.id, m.id, {
      text: "Customer Zorblax prefers invoices in Swiss francs",
    });
    expect(v2).toMatchObject({ id: m.id, version: 2 });
    const history = await memoryHistory(ctx, subscriber, vault.id, m.id);
    expect(history.items.map((h) => [h.version, h.text, h.is_current])).toEqual([
      [1, "Customer Zorblax prefers invoices in euros", false],
      [2, "Customer Zorblax prefers invoices in Swiss francs", true],
    ]);
    expect(history.items[1]!.supersedes).toBe(history.items[0]!.revision_id);

    const found = await searchVault(ctx, subscriber, vault.id, {
      query: "Zorblax invoices",
      top_k: 5,
      filter: {},
      mode: "hybrid",
    });
    expect(found.results.map((r) => [r.id, r.source, r.text])).toEqual([
      [m.id, "memory", "Customer Zorblax prefers invoices in Swiss francs"],
    ]);

    await archiveMemory(ctx, subscriber, vault.id, m.id);
    const after = await searchVault(ctx, subscriber, vault.id, {
      query: "Zorblax invoices",
      top_k: 5,
      filter: {},
      mode: "hybrid",
    });
    expect(after.results).toEqual([]);
    expect(
      (await listMemories(ctx, subscriber, vault.id, { state: "archived" }, { limit: 10 })).items.map(
        (i) => i.id,
      ),
    ).toEqual([m.id]);
  });

  it("answers 404 for another organisation's vault, cube and memory", async () => {
    const vault = await createVault(ctx, subscriber, { name: "private" });
    const m = await createMemory(ctx, subscriber, vault.id, { text: "secret" });
    await expect(
      searchVault(ctx, outsider, vault.id, { query: "secret", top_k: 1, filter: {}, mode: "hybrid" }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(memoryHistory(ctx, outsider, vault.id, m.id)).rejects.toMatchObject({ status: 404 });
    const { cube } = await publish("mine-only", JSONL, "application/x-ndjson");
    await expect(getVersion(ctx, outsider, cube.id, "1.0.0")).rejects.toMatchObject({ status: 404 });
  });

  it("refuses to mix embedding dimensions in a vault, and searches with an ONNX embedder", async () => {
    const dir = mkdtempSync(join(tmpdir(), "memstore-onnx-"));
    writeTinyEncoder(dir);
    const onnx = await OnnxEmbedder.load(dir);
    try {
      // A second runtime on the same database whose embedder is the ONNX model.
      const onnxRunner = new InProcessRunner();
      const onnxCtx: AppContext = { ...ctx, embedder: onnx, jobs: onnxRunner };
      onnxRunner.register(createProcessors(onnxCtx));
      const cube = await createCube(onnxCtx, publisher, {
        slug: "onnx-cube",
        type: "plaintext",
        title: "Tax law in France",
      });
      await createVersion(onnxCtx, publisher, cube.id, { version: "1.0.0" });
      const items = ["the capital of france is paris", "the river seine", "vat rate and income tax law"]
        .map((text) => JSON.stringify({ text }))
        .join("\n");
      await uploadPayload(
        onnxCtx,
        publisher,
        { cubeId: cube.id, version: "1.0.0" },
        body(items),
        "application/x-ndjson",
      );
      await submitVersion(onnxCtx, publisher, cube.id, "1.0.0");
      await onnxRunner.idle();
      const ready = await getVersion(onnxCtx, publisher, cube.id, "1.0.0");
      expect(ready).toMatchObject({ status: "ready", embedding: { dimension: 16 } });

      const listing = await createListing(onnxCtx, publisher, {
        cube_id: cube.id,
        visibility: "public",
        pricing: { model: "free" },
        terms: {},
      });
      await publishListing(onnxCtx, publisher, listing.id);
      await acquireListing(ctx, subscriber, listing.id);

      const mixed = await createVault(ctx, subscriber, { name: "hash-vault" });
      await createMemory(ctx, subscriber, mixed.id, { text: "a 384-dimensional memory" });
      await expect(
        installListing(ctx, subscriber, mixed.id, { listing_id: listing.id, version_policy: "latest" }),
      ).rejects.toMatchObject({
        code: "dimension_mismatch",
        status: 422,
      });

      const onnxVault = await createVault(ctx, subscriber, { name: "onnx-vault" });
      await installListing(ctx, subscriber, onnxVault.id, {
        listing_id: listing.id,
        version_policy: "latest",
      });
      const calls = () => callsCounted(ctx, subscriber.orgId);
      const before = await calls();
      await expect(
        searchVault(ctx, subscriber, onnxVault.id, { query: "paris", top_k: 1, filter: {}, mode: "vector" }),
      ).rejects.toMatchObject({
        code: "dimension_mismatch",
      });
      // A search refused for its dimension is not counted.
      expect(await calls()).toBe(before);
      const { results } = await searchVault(onnxCtx, subscriber, onnxVault.id, {
        query: "paris capital",
        top_k: 1,
        filter: {},
        mode: "vector",
      });
      expect(stripMarks(results[0]!.text)).toBe("the capital of france is paris");
    } finally {
      await onnx.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("chains every organisation's audit rows by hash and detects tampering", async () => {
    const check = await verifyAuditChain(ctx.db, subscriber.orgId);
    expect(check.ok).toBe(true);
    expect(check.rows).toBeGreaterThan(5);
    const [row] = await queryRows<{ seq: number }>(
      ctx.db,
      sql`select seq::int as seq from audit_log where org_id = ${subscriber.orgId} order by seq limit 1 offset 2`,
    );
    await ctx.db
      .update(auditLog)
      .set({ data: { forged: true } })
      .where(eq(auditLog.seq, row!.seq));
    expect(await verifyAuditChain(ctx.db, subscriber.orgId)).toMatchObject({ ok: false, brokenAt: row!.seq });
  });
});
