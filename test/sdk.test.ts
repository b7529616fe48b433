import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "@memstore/db";
import { readTar } from "@memstore/formats";
import { buildTinyDecoder } from "@memstore/inference/testing";
import { MemStoreApiError, MemStoreClient, type VaultEvent } from "@memstore/sdk";
import { matchFingerprint, readFingerprints, stripMarks } from "@memstore/watermark";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  loraPack,
  modelKvSnapshot,
  PROMPT_IDS,
  TINY_CONFIG,
  TINY_TOKENIZER,
  TINY_TOKENIZER_SHA256,
} from "./support/binary-fixtures.ts";
import { openHttpTestbed } from "./support/http-testbed.ts";
import { waitUntil } from "./support/wait.ts";

/**
 * The SDK against a running server, method by method: a publisher ships a cube and lists it, a
 * subscriber buys, installs, searches and keeps memories, agents' keys, events, traces, bundles,
 * imports and exports, base models and derived cubes, downloads and commerce. Every call goes
 * through a recorder; the last test fails if any public method of the client or its sub-APIs was
 * never called here.
 */
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let pub: MemStoreClient;
let sub: MemStoreClient;
let subKey: string;
const called = new Set<string>();
const dir = mkdtempSync(join(tmpdir(), "memstore-sdk-"));

const SUB_APIS = ["commerce", "downloads", "bundles", "models", "derive"] as const;

/** The client, recording each method called on it or on one of its sub-APIs (`bundles.export`). */
function recorded<T extends object>(target: T, prefix = ""): T {
  return new Proxy(target, {
    get(object, name, receiver) {
      const value = Reflect.get(object, name, receiver) as unknown;
      if (typeof name !== "string") return value;
      if ((SUB_APIS as readonly string[]).includes(name) && prefix === "")
        return recorded(value as object, `${name}.`);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        called.add(`${prefix}${name}`);
        return Reflect.apply(value as (...a: unknown[]) => unknown, object, args);
      };
    },
  });
}

/** Every public method of an object's class chain. */
function methodsOf(object: object, prefix = ""): string[] {
  const names: string[] = [];
  for (let proto = Object.getPrototypeOf(object); proto && proto !== Object.prototype;) {
    for (const name of Object.getOwnPropertyNames(proto))
      if (name !== "constructor") names.push(`${prefix}${name}`);
    proto = Object.getPrototypeOf(proto);
  }
  return names;
}

const bytes = async (stream: ReadableStream<Uint8Array>) =>
  Buffer.from(await new Response(stream).arrayBuffer());
const JSONL = [
  "The pilot boards at buoy 5 for every ship over 80 metres.",
  "Tug assistance is required in winds above 25 knots at the north quay.",
  "The harbour master's office opens at 06:00 on weekdays and 08:00 on weekends.",
]
  .map((text) => JSON.stringify({ text, tags: ["pilotage"] }))
  .join("\n");

beforeAll(async () => {
  bed = await openHttpTestbed();
  subKey = await bed.organization("Sdk Readers", "owner@sdk-readers.example.com");
  pub = recorded(bed.client());
  sub = recorded(bed.client(subKey));
});
afterAll(async () => {
  await bed?.close();
  rmSync(dir, { recursive: true, force: true });
});

const state: {
  cubeId?: string;
  listingId?: string;
  vaultId?: string;
  installId?: string;
  entitlementId?: string;
} = {};

describe("the SDK against a running server", () => {
  it("reaches the server, and turns a problem into a MemStoreApiError with its code", async () => {
    expect(await pub.health()).toMatchObject({ status: "ok", db: "ok" });
    expect(await pub.request("GET", "/api/v1/health")).toMatchObject({ status: "ok" });
    expect((await pub.raw("GET", "/api/v1/health")).status).toBe(200);
    const missing = await pub.getCube("cube_missing").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(MemStoreApiError);
    expect(missing).toMatchObject({ status: 404, problem: { code: "not_found" } });
  });

  it("publishes a cube: creates, uploads, submits, waits, lists and verifies the signed version", async () => {
    const cube = await pub.createCube({ slug: "sdk-pilotage", type: "plaintext", title: "Pilotage" });
    state.cubeId = cube.id;
    expect(await pub.getCube(cube.id)).toMatchObject({ slug: "sdk-pilotage", type: "plaintext" });
    expect((await pub.listCubes({ limit: 50 })).items.map((c) => c.id)).toContain(cube.id);
    const draft = await pub.createVersion(cube.id, {
      version: "1.0.0",
      manifest: { governance: { license: { export: true } } },
    });
    expect(draft).toMatchObject({ version: "1.0.0", status: "draft" });
    const uploaded = await pub.uploadPayload(cube.id, "1.0.0", JSONL, "application/x-ndjson");
    expect(uploaded.size).toBe(Buffer.byteLength(JSONL));
    expect(
      await pub.putEvalSet(cube.id, "1.0.0", [
        { question: "Where does the pilot board?", expect: { contains: "buoy 5" } },
      ]),
    ).toEqual({ questions: 1, max_recall_drop: null });
    expect(await pub.submitVersion(cube.id, "1.0.0")).toMatchObject({ status: "processing" });
    await bed.t.runner.idle();
    const polls: string[] = [];
    const ready = await pub.waitForVersion(cube.id, "1.0.0", { onPoll: (v) => polls.push(v.status) });
    expect(ready.status).toBe("ready");
    expect(polls.at(-1)).toBe("ready");
    expect(ready.evaluation).toMatchObject({ questions: 1, answered: 1, recall_at_5: 1 });
    // Nothing held it: there is nothing to release.
    await expect(pub.releaseVersion(cube.id, "1.0.0")).rejects.toMatchObject({
      status: 409,
      code: "conflict",
    });
    expect((await pub.listVersions(cube.id)).items.map((v) => v.version)).toEqual(["1.0.0"]);
    const version = await pub.getVersion(cube.id, "1.0.0");
    const key = await pub.platformKey();
    expect(await pub.verifyVersion(version, key)).toBe(true);
    expect(await pub.verifyVersion({ ...version, manifest: { ...version.manifest, title: "Forged" } })).toBe(
      false,
    );
    expect(await pub.publisherKey()).toMatchObject({
      alg: "aes-256-gcm",
      encryption_key: expect.any(String),
    });
  });

  it("lists it, edits the listing and its mark density, suspends and resumes it", async () => {
    const listing = await pub.createListing({
      cube_id: state.cubeId!,
      visibility: "public",
      pricing: { model: "free" },
      terms: { export: true },
    });
    state.listingId = listing.id;
    expect(listing).toMatchObject({ status: "draft", marks: "light", canaries: false });
    expect(await pub.publishListing(listing.id)).toMatchObject({ status: "published" });
    expect(await pub.updateListing(listing.id, { marks: "dense", title: "Pilotage rules" })).toMatchObject({
      marks: "dense",
    });
    expect((await pub.listListings()).items.find((l) => l.id === listing.id)?.cube.title).toBe(
      "Pilotage rules",
    );
    expect(await pub.setListingStatus(listing.id, "suspend")).toMatchObject({ status: "suspended" });
    expect(await pub.setListingStatus(listing.id, "resume")).toMatchObject({ status: "published" });
  });

  it("lets a subscriber find, get and install it into a vault it names, and search it", async () => {
    const found = await sub.searchStore({ q: "pilot boarding buoy" });
    expect(found.items.map((l) => l.id)).toContain(state.listingId);
    // A query nothing answers finds nothing, and says what is near.
    const nothing = await sub.searchStore({ q: "sourdough starter hydration", sort: "installs" });
    expect(nothing.items).toEqual([]);
    expect(Array.isArray(nothing.suggested_tags)).toBe(true);
    expect(await sub.getListing(state.listingId!)).toMatchObject({ id: state.listingId, marks: "dense" });
    // Tried before buying: the pack answers where the pilot boards.
    const tried = await sub.commerce.tryListing(state.listingId!, {
      questions: ["Where does the pilot board?"],
    });
    expect(tried.answers[0]).toMatchObject({ answered: true });
    expect(stripMarks(tried.answers[0]!.snippet!)).toContain("buoy 5");
    const acquired = await sub.acquire(state.listingId!);
    expect(acquired).toMatchObject({ entitlement: { listing_id: state.listingId, source: "free" } });
    const entitlements = await sub.commerce.entitlements();
    state.entitlementId = entitlements.items.find((e) => e.listing_id === state.listingId)!.id;

    const vault = await sub.createVault({ name: "harbour", desensitise_on_write: false });
    state.vaultId = vault.id;
    expect(await sub.updateVault(vault.id, { name: "harbour-agents" })).toMatchObject({
      name: "harbour-agents",
    });
    expect((await sub.listVaults()).items.map((v) => v.name)).toContain("harbour-agents");
    // A hold on a vault of its own: writes refused meanwhile, lifted after.
    const held = await sub.createVault({ name: "held" });
    expect(await sub.freezeVault(held.id, { reason: "audit" })).toMatchObject({
      frozen: { reason: "audit" },
    });
    await expect(sub.updateVault(held.id, { name: "x" })).rejects.toMatchObject({
      status: 423,
      code: "vault_frozen",
    });
    expect(await sub.unfreezeVault(held.id)).toMatchObject({ frozen: null });
    // The hold is in the audit chain, which the platform signs on request.
    const signed = await sub.createAuditCheckpoint();
    expect((await sub.auditCheckpoints()).items.at(-1)).toEqual(signed);
    const chain = await new Response((await sub.auditExport()).stream).text();
    expect(chain).toContain('"action":"vault.frozen"');
    const install = await sub.install(vault.id, { listing_id: state.listingId! });
    state.installId = install.id;
    expect(install).toMatchObject({ version: "1.0.0", cube: { slug: "sdk-pilotage" } });
    expect((await sub.listInstalls(vault.id)).items).toEqual([
      expect.objectContaining({
        id: install.id,
        cube: expect.objectContaining({ publisher: "harbour-experts" }),
      }),
    ]);
    // One version only: an upgrade leaves it there, its past is that version, a rollback has nowhere to go.
    expect(await sub.upgradeInstall(vault.id, install.id)).toMatchObject({
      version: "1.0.0",
      update_available: null,
    });
    expect((await sub.installHistory(vault.id, install.id)).items).toEqual([
      expect.objectContaining({
        version: "1.0.0",
        to: null,
        moved_by: expect.objectContaining({ kind: "key" }),
      }),
    ]);
    expect(await sub.installDiff(vault.id, install.id)).toMatchObject({
      from: "1.0.0",
      to: "1.0.0",
      sections: [],
      chunks: { added: 0, removed: 0, changed: 0 },
    });
    await expect(sub.rollbackInstall(vault.id, install.id)).rejects.toMatchObject({
      status: 409,
      code: "conflict",
    });
    // Its one version yanked (normal): nowhere else to go, so it keeps it with a notice; unyanked, it is clear.
    expect(
      await pub.yankVersion(state.cubeId!, "1.0.0", { reason: "buoy renumbered", severity: "normal" }),
    ).toMatchObject({ yanked: { reason: "buoy renumbered", severity: "normal" } });
    expect((await sub.listInstalls(vault.id)).items[0]).toMatchObject({
      state: "activated",
      notice: { code: "version_yanked", version: "1.0.0" },
    });
    expect(await pub.unyankVersion(state.cubeId!, "1.0.0")).toMatchObject({ yanked: null });
    expect((await sub.listInstalls(vault.id)).items[0]!.notice).toBeUndefined();
    const { results } = await sub.search(vault.id, { query: "when does the pilot board", top_k: 2 });
    expect(stripMarks(results[0]!.text)).toContain("buoy 5");
    expect(results[0]!.cube).toMatchObject({
      slug: "sdk-pilotage",
      version: "1.0.0",
      install_id: install.id,
    }); // The same vault as a context to paste, and the agent's word on what it used.
    const context = await sub.context(vault.id, { query: "when does the pilot board", max_tokens: 200 });
    expect(context.tokens).toBeLessThanOrEqual(200);
    expect(stripMarks(context.context)).toContain("buoy 5");
    expect(context.citations[0]).toMatchObject({ n: 1, source: "install", install_id: install.id });
    await sub.contextFeedback(vault.id, context.id, { used: [1], helpful: true });
    const sections = await pub.listingSections(state.listingId!);
    expect(sections.items.reduce((n, s) => n + s.used, 0)).toBe(1);
  });

  it("asks for a listing sold on request, and the publisher answers", async () => {
    const onRequest = await pub.createListing({
      cube_id: state.cubeId!,
      visibility: "public",
      pricing: { model: "free" },
      access: "request",
    });
    await pub.publishListing(onRequest.id);
    const asked = await sub.commerce.requestAccess(onRequest.id, { message: "For our pilots." });
    expect((await pub.commerce.incomingAccessRequests(onRequest.id)).items[0]).toMatchObject({
      id: asked.id,
    });
    expect(await pub.commerce.denyAccessRequest(asked.id, { reason: "Which port?" })).toMatchObject({
      state: "denied",
    });
    const again = await sub.commerce.requestAccess(onRequest.id, { message: "Port of Hamburg." });
    expect(await pub.commerce.approveAccessRequest(again.id)).toMatchObject({ state: "approved" });
    expect((await sub.commerce.accessRequests()).items.map((r) => r.state)).toEqual(["approved", "denied"]);
  });

  it("reviews a listing held a week, replies as the publisher, reports, and reads the publisher's page", async () => {
    // A week later (the entitlement moved back 8 days): the subscriber may review what it holds.
    await bed.t.ctx.db.execute(
      sql`update entitlements set valid_from = now() - interval '8 days' where id = ${state.entitlementId!}`,
    );
    const review = await sub.commerce.writeReview(state.listingId!, {
      rating: 5,
      title: "Exact boarding points",
      body: "Our pilots found every buoy.",
    });
    expect(review).toMatchObject({ rating: 5, verified_holder: true, reply: null });
    expect(await pub.commerce.replyToReview(review.id, { body: "Thank you, pilots." })).toMatchObject({
      reply: { body: "Thank you, pilots." },
    });
    expect((await sub.commerce.reviews(state.listingId!)).items.map((r) => r.id)).toEqual([review.id]);
    expect(await pub.commerce.reportReview(review.id, { reason: "Testing reports." })).toMatchObject({
      review_id: review.id,
    });
    const profile = await pub.commerce.updateProfile({
      about: "Pilotage notes for **North Sea** ports.",
      website: "https://harbour.example.com",
    });
    const page = await sub.commerce.publisher(profile.slug);
    expect(page).toMatchObject({ about: profile.about, website: "https://harbour.example.com" });
    expect(page.listings.map((l) => l.id)).toContain(state.listingId);
    expect(page.rating).toEqual({ average: 5, count: 1 });
  });

  it("traces the subscriber's served copy back to its install", async () => {
    const { results } = await sub.search(state.vaultId!, { query: "tug assistance winds", top_k: 1 });
    expect(readFingerprints(results[0]!.text).marked).toBe(true);
    const traced = await pub.trace(results[0]!.text);
    expect(traced).toMatchObject({ marked: true, matches: [{ install_id: state.installId }] });
    expect(traced.matches[0]!.evidence[0]).toMatchObject({ kind: "fingerprint" });
    expect(matchFingerprint(readFingerprints(stripMarks(results[0]!.text)), 1).marks).toBe(0);
  });

  it("keeps the vault's own memories with their history", async () => {
    const vault = state.vaultId!;
    const memory = await sub.createMemory(vault, {
      text: "Berth 4 is closed for dredging.",
      tags: ["berths"],
    });
    expect(await sub.getMemory(vault, memory.id)).toMatchObject({ text: "Berth 4 is closed for dredging." });
    const updated = await sub.updateMemory(vault, memory.id, { text: "Berth 4 reopens on Monday." });
    expect(updated.version).toBe(2);
    expect((await sub.memoryHistory(vault, memory.id)).items.map((m) => [m.text, m.is_current])).toEqual([
      ["Berth 4 is closed for dredging.", false],
      ["Berth 4 reopens on Monday.", true],
    ]);
    expect((await sub.listMemories(vault)).items.map((m) => m.id)).toEqual([memory.id]);
    expect(await sub.archiveMemory(vault, memory.id)).toMatchObject({ state: "archived" });
    expect(await sub.restoreMemory(vault, memory.id)).toMatchObject({ state: "active", version: 3 });
    const other = await sub.createMemory(vault, { text: "Berth 5 is open." });
    const merged = await sub.mergeMemories(vault, { memory_ids: [memory.id, other.id] });
    expect(merged).toMatchObject({ merged_from: [memory.id, other.id] });
    await sub.archiveMemory(vault, merged.id);
    expect((await sub.vaultHeat(vault, { order: "coldest", limit: 5 })).order).toBe("coldest");
  });

  it("makes an agent key bound to the vault, lists it and revokes it", async () => {
    const made = await sub.createKey({ name: "agent", scopes: ["vault:read"], vault_id: state.vaultId! });
    const agent = bed.client(made.key);
    expect((await agent.search(state.vaultId!, { query: "pilot", top_k: 1 })).results).toHaveLength(1);
    await expect(agent.createMemory(state.vaultId!, { text: "no" })).rejects.toMatchObject({ status: 403 });
    expect((await sub.listKeys()).items.map((k) => k.id)).toContain(made.id);
    await sub.revokeKey(made.id);
    await expect(agent.search(state.vaultId!, { query: "pilot" })).rejects.toMatchObject({ status: 401 });
  });

  it("subscribes to new versions and reads the vault's events as they happen", async () => {
    const subscription = await sub.createEventSubscription({
      filter: { listing_id: state.listingId! },
      delivery: { sse: true },
    });
    expect(subscription.secret).toEqual(expect.any(String));
    expect((await sub.listEventSubscriptions()).items.map((s) => s.id)).toContain(subscription.id);
    await sub.deleteEventSubscription(subscription.id);
    expect((await sub.listEventSubscriptions()).items.map((s) => s.id)).not.toContain(subscription.id);
    // The old names keep working for clients written before the rename.
    const old = await sub.createSubscription({
      filter: { listing_id: state.listingId! },
      delivery: { sse: true },
    });
    expect((await sub.listSubscriptions()).items.map((s) => s.id)).toContain(old.id);
    await sub.deleteSubscription(old.id);
    expect((await sub.listEventSubscriptions()).items.map((s) => s.id)).not.toContain(old.id);

    const stop = new AbortController();
    const events: VaultEvent[] = [];
    const reading = (async () => {
      for await (const event of sub.events(state.vaultId!, { signal: stop.signal })) events.push(event);
    })();
    await new Promise((r) => setTimeout(r, 300));
    await sub.uninstall(state.vaultId!, state.installId!);
    await bed.t.runner.idle();
    await waitUntil(async () => events.length > 0, 10_000);
    stop.abort();
    await reading;
    expect(events[0]).toMatchObject({ type: "install.updated" });
    state.installId = (await sub.install(state.vaultId!, { listing_id: state.listingId! })).id;
  });

  it("exports a bundle and imports it elsewhere; imports MemOS and Mem0 memories; exports MemOS and the vault", async () => {
    const bundle = await bytes((await pub.bundles.export(state.cubeId!, "1.0.0")).stream);
    const imported = await sub.bundles.import(bundle);
    expect(imported.version).toMatchObject({ version: "1.0.0", status: "draft" });
    expect(imported.checked[0]).toMatch(/^signature: ed25519/);

    const memos = await bytes((await pub.bundles.exportMemos(state.cubeId!, "1.0.0")).stream);
    const files = new Map<string, Buffer>();
    for await (const entry of readTar([memos], { maxEntries: 10, maxBytes: 1 << 24 })) {
      const parts: Buffer[] = [];
      for await (const chunk of entry.chunks) parts.push(Buffer.from(chunk));
      files.set(entry.path, Buffer.concat(parts));
    }
    expect([...files.keys()].sort()).toEqual([
      "sdk-pilotage/config.json",
      "sdk-pilotage/textual_memory.json",
    ]);
    const back = await sub.bundles.importMemos(memos, { slug: "pilotage-from-memos" });
    expect(back).toMatchObject({ backend: "general_text", items: 3 });

    const mem0 = await sub.bundles.importMem0(
      JSON.stringify({ results: [{ id: "m1", memory: "Prefers the north quay.", user_id: "alex" }] }),
      { slug: "from-mem0", title: "From Mem0" },
    );
    expect(mem0).toMatchObject({ items: 1, skipped: [] });

    const exported = await sub.bundles.exportVault(state.vaultId!, "jsonl");
    expect(exported.contentType).toContain("ndjson");
    const text = (await bytes(exported.stream)).toString("utf8");
    const lines = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(
      lines
        .filter((l) => l.kind === "installed")
        .map((l) => stripMarks(l.text))
        .sort(),
    ).toEqual(
      JSONL.split("\n")
        .map((l) => JSON.parse(l).text)
        .sort(),
    );
  });

  it("registers a base model, uploads its tokenizer and ONNX export, and derives cubes from ready versions", async () => {
    const model = await pub.models.register({
      name: "memstore/tiny-llama",
      config: TINY_CONFIG,
      tokenizer_sha256: TINY_TOKENIZER_SHA256,
    });
    expect(model).toMatchObject({ tokenizer_uploaded: false, onnx: null, owner: "organization" });
    expect(await pub.models.uploadTokenizer(model.id, new Uint8Array(TINY_TOKENIZER))).toMatchObject({
      tokenizer_uploaded: true,
    });
    const onnx = buildTinyDecoder().onnx;
    expect((await pub.models.uploadOnnx(model.id, onnx)).onnx).toMatchObject({ size: onnx.length });
    expect((await pub.models.list()).items.map((m) => m.id)).toContain(model.id);
    expect(await pub.models.get(model.id)).toMatchObject({ name: "memstore/tiny-llama" });

    const kv = await pub.derive.kvSnapshot(state.cubeId!, "1.0.0", {
      base_model: "memstore/tiny-llama",
      slug: "sdk-pilotage-kv",
      title: "Pilotage, read by tiny-llama",
    });
    expect(kv).toMatchObject({ status: "processing", version: "1.0.0" });
    const packs = [];
    for (const seed of [1, 9])
      packs.push(
        (await bed.publishedBinary(`sdk-pack-${seed}`, "parametric", await loraPack({ seed }))).cube,
      );
    const merged = await pub.derive.loraMerge({
      sources: packs.map((p) => ({ cube_id: p.id, version: "1.0.0", weight: 0.5 })),
      slug: "sdk-merged",
      title: "Merged packs",
    });
    expect(merged).toMatchObject({ version: "1.0.0", rank: 8 });
    const reduced = await pub.derive.rankReduction(packs[0]!.id, "1.0.0", {
      rank: 2,
      slug: "sdk-r2",
      title: "Rank 2",
    });
    expect(reduced).toMatchObject({ rank: 2, from_rank: 4 });
    await bed.t.runner.idle();
    for (const made of [kv, merged, reduced])
      expect((await pub.waitForVersion(made.cube_id, "1.0.0")).status).toBe("ready");
  });

  it("downloads an installed snapshot to a file, the digest checked", async () => {
    const { cube } = await bed.publishedBinary(
      "sdk-snapshot",
      "activation",
      await modelKvSnapshot(buildTinyDecoder().onnx, PROMPT_IDS),
    );
    const listing = await bed.freeListing(cube.id);
    await sub.commerce.acquire(listing.id);
    const install = await sub.install(state.vaultId!, { listing_id: listing.id });
    await bed.t.runner.idle();
    const file = join(dir, "snapshot.safetensors");
    const progress: number[] = [];
    const got = await sub.downloads.payload(state.vaultId!, install.id, file, {
      onProgress: (n) => progress.push(n),
    });
    expect(got).toMatchObject({ file, resumedFrom: 0, digest: expect.stringMatching(/^sha256:/) });
    expect(readFileSync(file).length).toBe(got.size);
    expect(progress.at(-1)).toBe(got.size);
    const link = await sub.downloads.link(state.vaultId!, install.id);
    expect(link).toMatchObject({ served_by: "app", size: got.size, digest: got.digest });
    expect(Buffer.from(await (await fetch(link.url)).arrayBuffer()).equals(readFileSync(file))).toBe(true);
  });

  it("runs commerce: an offer, holders, sales and usage, and revoking the subscriber", async () => {
    const offer = await pub.commerce.offer(state.listingId!, {
      org_slug: "sdk-readers",
      pricing: { model: "one_time", amount_cents: 1500, currency: "eur" },
    });
    expect(offer).toMatchObject({ listing_id: state.listingId, pricing: { amount_cents: 1500 } });
    expect((await pub.commerce.holders(state.listingId!)).items).toEqual([
      expect.objectContaining({ id: state.entitlementId, state: "active" }),
    ]);
    const today = new Date().toISOString().slice(0, 10);
    expect((await pub.commerce.sales({ from: today, to: today })).from).toBe(today);
    const usage = await sub.commerce.usage({ from: today, to: today });
    // The searches above, counted against the listing's first install.
    expect(usage.items.reduce((n, d) => n + d.calls, 0)).toBeGreaterThan(3);
    // A free entitlement is not a subscription to cancel; a server without Stripe pays out nothing.
    await expect(sub.commerce.cancel(state.entitlementId!)).rejects.toMatchObject({ status: 409 });
    await expect(pub.commerce.payoutAccount()).rejects.toMatchObject({
      problem: { code: "payments_unconfigured" },
    });
    expect(await pub.commerce.payouts()).toMatchObject({ account: null, balances: [] });
    expect(await pub.commerce.revoke(state.entitlementId!, { reason: "end of the trial" })).toMatchObject({
      state: "revoked",
    });
    await expect(sub.search(state.vaultId!, { query: "pilot" })).resolves.toMatchObject({ results: [] });
  });

  it("was called here through every public method of the client and its sub-APIs", () => {
    const client = new MemStoreClient({ baseUrl: "http://127.0.0.1" });
    const all = [...methodsOf(client), ...SUB_APIS.flatMap((name) => methodsOf(client[name], `${name}.`))];
    expect(all.length).toBeGreaterThan(60);
    expect(all.filter((m) => !called.has(m)).sort()).toEqual([]);
  });
});
