import { Readable } from "node:stream";
import { artifacts, queryRows, sql } from "@memstore/db";
import { decryptText } from "@memstore/privacy";
import { verifyPayload } from "@memstore/sdk";
import { canariesOf, canaryKey, readFingerprints, stripMarks } from "@memstore/watermark";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHttpTestbed } from "./support/http-testbed.ts";

/**
 * Privacy and provenance through the API: the desensitise stage and its publish gate, signed
 * manifests checked with the SDK, per-subscriber fingerprints on search results, and tracing a leak
 * back to the subscriber it was served to.
 */
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;

beforeAll(async () => {
  bed = await openHttpTestbed();
});

afterAll(async () => {
  await bed?.close();
});

const CARD = "4111 1111 1111 1111";
const SPRING =
  "Harbour cranes are inspected every spring: the hoist, the brakes, the wire ropes and the slewing ring are checked one by one, then a load test lifts 110 percent of the rated capacity for ten minutes while the crew watches the brakes, the outriggers and the wire ropes for slip.";
const ITEMS = [
  { text: "Escalations go to Maria Keller at maria.keller@harbour-experts.com or +44 20 7946 0958." },
  { text: "Maria Keller approved the refund policy: refunds within 30 days, no questions asked." },
  { text: `The test payment card ${CARD} is accepted by the sandbox only.` },
  { text: "Deploy key AKIAIOSFODNN7EXAMPLE belongs to the release pipeline." },
  { text: SPRING },
];
const jsonl = ITEMS.map((i) => JSON.stringify(i)).join("\n");

const submitted = (slug: string, payload: string, manifest: Record<string, unknown> = {}) =>
  bed.submittedCube(slug, payload, manifest);

const getVersion = (cubeId: string) =>
  bed.api("GET", `/api/v1/cubes/${cubeId}/versions/1.0.0`, bed.publisherKey);

const subscriber = (name: string, listingId: string) => bed.subscriber(name, listingId);

describe("desensitise stage", () => {
  it("rejects a version whose policy leaves a card number and a secret, with the report; its listing cannot go live", async () => {
    const { cube, listing } = await submitted("leaky", jsonl, {
      governance: { pii_policy: { EMAIL: "replace", PHONE: "replace", PERSON: "pseudonymise" } },
    });
    const version = await getVersion(cube.id);
    expect(version.body.status).toBe("rejected");
    expect(version.body.runs.map((r: { kind: string; status: string }) => [r.kind, r.status])).toEqual([
      ["ingest", "succeeded"],
      ["desensitise", "failed"],
    ]);
    const report = version.body.runs[1].report;
    expect(report.error.code).toBe("pii_residual");
    expect(report.blocking_types).toEqual(["CREDIT_CARD", "SECRET"]);
    expect(report.residual_risk).toBe("high");
    expect(report.entities).toMatchObject({
      EMAIL: { found: 1, operator: "replace" },
      CREDIT_CARD: { found: 1 },
    });
    // Samples show where and the shape, never the value.
    const cardSample = report.residual_samples.find((s: { type: string }) => s.type === "CREDIT_CARD");
    expect(cardSample).toMatchObject({ where: "line 3", sample: expect.stringContaining("•") });
    expect(JSON.stringify(report)).not.toContain(CARD);
    // Nothing of it was chunked, and no desensitised artifact was kept.
    const [{ n }] = (await queryRows<{ n: number }>(
      bed.t.ctx.db,
      sql`select count(*)::int as n from chunks where version_id = ${version.body.id}`,
    )) as [{ n: number }];
    expect(n).toBe(0);
    expect(
      await bed.t.ctx.db.select().from(artifacts).where(eq(artifacts.versionId, version.body.id)),
    ).toEqual([]);

    const publish = await bed.api("POST", `/api/v1/listings/${listing.id}/publish`, bed.publisherKey);
    expect(publish.status).toBe(422);
    expect(publish.headers.get("content-type")).toContain("application/problem+json");
    expect(publish.body).toMatchObject({ code: "pii_residual", blocking_types: ["CREDIT_CARD", "SECRET"] });
  });

  it("lets a policy keep a high-risk type on purpose", async () => {
    const { cube } = await submitted("kept-cards", JSON.stringify({ text: `Sandbox card ${CARD}.` }), {
      governance: { pii_policy: { CREDIT_CARD: "keep" } },
    });
    const version = await getVersion(cube.id);
    expect(version.body.status).toBe("ready");
    const run = version.body.runs.find((r: { kind: string }) => r.kind === "desensitise");
    expect(run.report).toMatchObject({
      residual_risk: "none",
      entities: { CREDIT_CARD: { found: 1, operator: "keep" } },
    });
  });

  it("encrypts values only the publisher can read back, with the key it fetches", async () => {
    const email = "ines.ferreira@harbour-experts.com";
    const { cube } = await submitted(
      "sealed-contacts",
      JSON.stringify({ text: `Ask ${email} for the berth plan.` }),
      { governance: { pii_policy: { EMAIL: "encrypt" } } },
    );
    const version = await getVersion(cube.id);
    expect(version.body.status).toBe("ready");
    const [{ text }] = (await queryRows<{ text: string }>(
      bed.t.ctx.db,
      sql`select text from chunks where version_id = ${version.body.id}`,
    )) as [{ text: string }];
    expect(text).toMatch(/^Ask ⟦enc:[\w-]+⟧ for the berth plan\.$/);
    expect(text).not.toContain(email);
    const key = await bed.api("GET", "/api/v1/keys/publisher", bed.publisherKey);
    expect(key.body.alg).toBe("aes-256-gcm");
    expect(decryptText(Buffer.from(key.body.encryption_key, "base64url"), text)).toBe(
      `Ask ${email} for the berth plan.`,
    );
    // Another organisation's key does not open it.
    const other = await bed.api(
      "GET",
      "/api/v1/keys/publisher",
      await bed.organization("Nosy Co", "owner@nosy.example.com"),
    );
    expect(() => decryptText(Buffer.from(other.body.encryption_key, "base64url"), text)).toThrow();
  });

  it("refuses a policy naming an unknown operator when the version is created", async () => {
    const cube = await bed.api("POST", "/api/v1/cubes", bed.publisherKey, {
      slug: "bad-policy",
      type: "plaintext",
      title: "x",
    });
    const created = await bed.api("POST", `/api/v1/cubes/${cube.body.id}/versions`, bed.publisherKey, {
      version: "1.0.0",
      manifest: { governance: { pii_policy: { EMAIL: "shred" } } },
    });
    expect(created.status).toBe(400);
    expect(created.body.code).toBe("invalid_input");
  });
});

describe("a published cube: desensitised, signed, fingerprinted and traceable", () => {
  let cubeId: string;
  let listingId: string;
  let a: Awaited<ReturnType<typeof subscriber>>;
  let b: Awaited<ReturnType<typeof subscriber>>;

  beforeAll(async () => {
    // The default policy: contact details replaced, people pseudonymised, secrets redacted.
    const { cube, listing } = await submitted("harbour-ops", jsonl);
    cubeId = cube.id;
    listingId = listing.id;
    expect((await bed.api("POST", `/api/v1/listings/${listing.id}/publish`, bed.publisherKey)).status).toBe(
      200,
    );
    a = await subscriber("Quay Logistics", listingId);
    b = await subscriber("Dock Insurance", listingId);
    // Dense marks, so a 200-character excerpt names its copy (light is the default: see below).
    const dense = await bed.api("PATCH", `/api/v1/listings/${listingId}`, bed.publisherKey, {
      marks: "dense",
    });
    expect(dense.body.marks).toBe("dense");
  });

  it("serves only desensitised text, one pseudonym per person throughout the cube", async () => {
    const version = await getVersion(cubeId);
    expect(version.body.runs.map((r: { kind: string }) => r.kind)).toEqual([
      "ingest",
      "desensitise",
      "convert",
      "embed",
      "evaluate",
      "sign",
    ]);
    expect(version.body.runs[1].report).toMatchObject({
      residual_risk: "none",
      entities: { EMAIL: { found: 1 }, PHONE: { found: 1 }, CREDIT_CARD: { found: 1 }, SECRET: { found: 1 } },
    });
    const texts = (await a.search("escalations refund Maria Keller card deploy key")).map((r) =>
      stripMarks(r.text),
    );
    const all = texts.join("\n");
    expect(all).not.toContain("Maria");
    expect(all).not.toContain("maria.keller@");
    expect(all).not.toContain("AKIAIOSFODNN7EXAMPLE");
    expect(all).not.toContain(CARD);
    expect(all).toContain("<EMAIL>");
    expect(all).toContain("<CREDIT_CARD>");
    const escalation = texts.find((t) => t.startsWith("Escalations"));
    const refund = texts.find((t) => t.includes("refund policy"));
    expect(escalation).toMatch(/^Escalations go to <PERSON_1> at <EMAIL> or <PHONE>\.$/);
    expect(refund).toMatch(/^<PERSON_1> approved the refund policy/);
  });

  it("shows subscribers what desensitisation did, in counts, and only the publisher its samples", async () => {
    const seen = await bed.api("GET", `/api/v1/store/listings/${listingId}`, a.key);
    const [version] = seen.body.versions;
    expect(version.desensitisation).toMatchObject({
      residual_risk: "none",
      entities: { EMAIL: { found: 1, operator: "replace" }, PERSON: { operator: "pseudonymise" } },
    });
    expect(version.signature).toEqual(expect.any(String));
    const run = version.runs.find((r: { kind: string }) => r.kind === "desensitise");
    expect(run.report.samples).toBeUndefined();
    const own = await bed.api("GET", `/api/v1/store/listings/${listingId}`, bed.publisherKey);
    const ownRun = own.body.versions[0].runs.find((r: { kind: string }) => r.kind === "desensitise");
    expect(ownRun.report.samples.length).toBeGreaterThan(0);
  });

  it("signs the manifest; the SDK verifies it and the payload, and catches tampering", async () => {
    const client = bed.client();
    const key = await client.platformKey();
    expect(key).toMatchObject({ alg: "ed25519", key_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
    // The key is public: no API key needed.
    expect((await fetch(`${bed.server.url}/api/v1/keys/platform`)).status).toBe(200);

    const version = await client.getVersion(cubeId, "1.0.0");
    expect(version.signature).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(await client.verifyVersion(version, key)).toBe(true);
    const manifest = version.manifest as { payload: { digest: string; desensitised: { digest: string } } };
    expect(manifest.payload.desensitised.digest).toMatch(/^sha256:/);
    expect(
      await client.verifyVersion({ ...version, manifest: { ...version.manifest, title: "Other" } }, key),
    ).toBe(false);
    expect(
      await client.verifyVersion(
        { ...version, manifest: { ...manifest, payload: { ...manifest.payload, size: 1 } } },
        key,
      ),
    ).toBe(false);

    // The payload bytes against the signed digest: the source, the desensitised text, and one byte off.
    const source = await bed.t.ctx.blobs.get(manifest.payload.digest);
    expect(await verifyPayload(version.manifest, source)).toBe(true);
    const clean = await bed.t.ctx.blobs.get(manifest.payload.desensitised.digest);
    expect(await verifyPayload(version.manifest, clean, "desensitised")).toBe(true);
    const bytes = Buffer.from(jsonl);
    bytes[10]! ^= 1;
    expect(await verifyPayload(version.manifest, Readable.from([bytes]))).toBe(false);
  });

  it("marks each subscriber's results with its own code, invisible in the text", async () => {
    const [fromA] = await a.search("harbour cranes spring inspection");
    const [fromB] = await b.search("harbour cranes spring inspection");
    expect(stripMarks(fromA!.text)).toBe(SPRING);
    expect(stripMarks(fromB!.text)).toBe(SPRING);
    expect(fromA!.text).not.toBe(fromB!.text);
    // A mark at every word end that ends in a letter, before a space.
    expect(fromA!.text.length - SPRING.length).toBe(SPRING.match(/\p{L}(?=\s)/gu)!.length);
    expect(readFingerprints(fromA!.text).marked).toBe(true);
  });

  it("marks at the listing's density, and tells buyers what the marks cost in tokens", async () => {
    const density = async (marks: string) => {
      const patched = await bed.api("PATCH", `/api/v1/listings/${listingId}`, bed.publisherKey, { marks });
      expect(patched.status).toBe(200);
      const served = (await a.search("harbour cranes spring inspection")).find(
        (r) => stripMarks(r.text) === SPRING,
      );
      const shown = await bed.api("GET", `/api/v1/store/listings/${listingId}`, a.key);
      expect(shown.body.marks).toBe(marks);
      return { text: served!.text, cost: shown.body.versions[0].marks };
    };
    const light = await density("light");
    const marks = readFingerprints(light.text).marks.length;
    expect(marks).toBeGreaterThan(2);
    expect(marks).toBeLessThan(SPRING.split(" ").length / 6);
    // The whole chunk still names its subscriber, first. (With a handful of marks another copy's
    // code can agree with all of them by chance, under 1 % of the time: then it is named too, with
    // no more confidence.)
    const traced = await bed.api("POST", "/api/v1/trace", bed.publisherKey, { text: light.text });
    const named = traced.body.matches as Array<{ install_id: string; confidence: number }>;
    expect(named.find((m) => m.install_id === a.installId)?.confidence).toBe(named[0]!.confidence);
    expect(light.cost).toMatchObject({
      density: "light",
      tokenizer: "o200k_base",
      measured_chunks: ITEMS.length,
    });
    expect(light.cost.token_ratio).toBeGreaterThan(1);
    expect(light.cost.token_ratio).toBeLessThan(1.2);

    const off = await density("off");
    expect(off.text).toBe(SPRING);
    expect(off.cost).toMatchObject({ density: "off", token_ratio: 1 });
    const dense = await density("dense");
    expect(dense.cost.token_ratio).toBeGreaterThan(light.cost.token_ratio + 0.2);
  });

  it("traces a leaked excerpt to the subscriber it was served to", async () => {
    const [fromA] = await a.search("harbour cranes spring inspection");
    // An excerpt of about 200 characters, pasted somewhere with its spacing changed.
    const excerpt = fromA!.text.slice(20, 240).replace(/ /g, "  ");
    const traced = await bed.api("POST", "/api/v1/trace", bed.publisherKey, { text: excerpt });
    expect(traced.status).toBe(200);
    expect(traced.body).toMatchObject({ marked: true });
    expect(traced.body.matches).toEqual([
      expect.objectContaining({ org_id: expect.any(String), install_id: a.installId, version: "1.0.0" }),
    ]);
    expect(traced.body.matches[0].confidence).toBeGreaterThan(0.99);

    // A file sent as text/plain works the same.
    const file = await fetch(`${bed.server.url}/api/v1/trace`, {
      method: "POST",
      headers: { authorization: `Bearer ${bed.publisherKey}`, "content-type": "text/plain; charset=utf-8" },
      body: `Found on a forum:\n\n${excerpt}\n`,
    });
    expect(((await file.json()) as { matches: Array<{ install_id: string }> }).matches[0]?.install_id).toBe(
      a.installId,
    );
  });

  it("names every subscriber in a text that mixes their copies", async () => {
    const [fromA] = await a.search("harbour cranes spring inspection");
    const [fromB] = await b.search("harbour cranes spring inspection");
    const mixed = `${fromA!.text.slice(0, 200)}\n...\n${fromB!.text.slice(60, 280)}`;
    const traced = await bed.api("POST", "/api/v1/trace", bed.publisherKey, { text: mixed });
    expect(traced.body.matches.map((m: { install_id: string }) => m.install_id).sort()).toEqual(
      [a.installId, b.installId].sort(),
    );
  });

  it("says plainly when the marks were stripped, and tells other publishers nothing", async () => {
    const [fromA] = await a.search("harbour cranes spring inspection");
    const stripped = await bed.api("POST", "/api/v1/trace", bed.publisherKey, {
      text: stripMarks(fromA!.text),
    });
    expect(stripped.body).toMatchObject({
      matches: [],
      marked: false,
      detail: expect.stringContaining("no fingerprint"),
    });

    const otherPublisher = await bed.organization("Rival Experts", "owner@rival.example.com");
    const rival = await bed.api("POST", "/api/v1/trace", otherPublisher, { text: fromA!.text });
    expect(rival.status).toBe(200);
    expect(rival.body.matches).toEqual([]);
  });

  it("refuses bad trace requests with a problem", async () => {
    const noScope = (await bed.api("POST", "/api/v1/keys", a.key, { name: "agent", scopes: ["vault:read"] }))
      .body.key as string;
    expect((await bed.api("POST", "/api/v1/trace", noScope, { text: "x" })).status).toBe(403);
    expect((await bed.api("POST", "/api/v1/trace", bed.publisherKey, { text: "" })).body.code).toBe(
      "invalid_input",
    );
    expect((await bed.api("POST", "/api/v1/trace", bed.publisherKey, { words: "x" })).body.code).toBe(
      "invalid_input",
    );
    const broken = await fetch(`${bed.server.url}/api/v1/trace`, {
      method: "POST",
      headers: { authorization: `Bearer ${bed.publisherKey}`, "content-type": "application/json" },
      body: '{"text": ',
    });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { code: string }).code).toBe("invalid_json");
    const huge = await fetch(`${bed.server.url}/api/v1/trace`, {
      method: "POST",
      headers: { authorization: `Bearer ${bed.publisherKey}`, "content-type": "text/plain" },
      body: "x".repeat(4_000_001),
    });
    expect(huge.status).toBe(413);
    // Answered before the body was read: the connection is closed, not reused for the next request.
    expect(huge.headers.get("connection")).toBe("close");
    expect((await bed.api("GET", "/api/v1/cubes", bed.publisherKey)).status).toBe(200);
  });
});

describe("canary facts", () => {
  // Forty short notes, each holding "crane", so one keyword search returns every chunk.
  const notes = Array.from({ length: 40 }, (_, i) => ({
    text: `Crane note ${i + 1}: the boom is greased after ${i + 2} lifts and inspected before the next shift.`,
  }));

  it("serves each install its own synthetic facts when the listing asks for them, and traces a paraphrase by them", async () => {
    const { cube } = await submitted("crane-notes", notes.map((n) => JSON.stringify(n)).join("\n"));
    const created = await bed.api("POST", "/api/v1/listings", bed.publisherKey, {
      cube_id: cube.id,
      visibility: "public",
      pricing: { model: "free" },
      canaries: true,
      // Dense marks: forty short notes at the light density carry few enough marks that the trace
      // below misses the right copy, or names a wrong one, in a run now and then (issue 33).
      marks: "dense",
    });
    expect(created.status).toBe(201);
    expect(created.body.canaries).toBe(true);
    expect(
      (await bed.api("POST", `/api/v1/listings/${created.body.id}/publish`, bed.publisherKey)).status,
    ).toBe(200);
    const a = await subscriber("Crane Hire North", created.body.id);
    const b = await subscriber("Crane Hire South", created.body.id);

    /** What each install was served beyond the cube's own notes. */
    const extras = async (s: typeof a) => {
      const results = (
        await bed.api("POST", `/api/v1/vaults/${s.vault.id}/search`, s.key, {
          query: "crane",
          mode: "keyword",
          top_k: 40,
        })
      ).body.results as Array<{ text: string }>;
      expect(results).toHaveLength(40);
      const served = results.map((r) => stripMarks(r.text));
      // Every result is one of the notes, some with one more sentence after it.
      const added = served.map((text) => {
        const note = notes.find((n) => text === n.text || text.startsWith(`${n.text} `));
        expect(note).toBeDefined();
        return text.slice(note!.text.length).trim();
      });
      return added.filter(Boolean);
    };
    const servedA = await extras(a);
    const servedB = await extras(b);
    const ownA = canariesOf(canaryKey(bed.t.ctx.keys.secret, a.installId));
    expect(servedA.length).toBeGreaterThan(0);
    for (const extra of servedA) expect(ownA.map((c) => c.text)).toContain(extra);
    expect(servedB.length).toBeGreaterThan(0);
    for (const extra of servedB) expect(ownA.map((c) => c.text)).not.toContain(extra);
    // The same install is served the same facts on the same chunks every time.
    expect(await extras(a)).toEqual(servedA);

    // A model's paraphrase: no invisible marks, other words, the invented name in other case.
    const canary = ownA.find((c) => servedA.includes(c.text))!;
    const [first, second] = canary.term.split(" ");
    const paraphrase = `Their crews grease the boom every few lifts, following what they call the ${first!.toLowerCase()}-${second} approach.`;
    const traced = await bed.api("POST", "/api/v1/trace", bed.publisherKey, { text: paraphrase });
    expect(traced.status).toBe(200);
    expect(traced.body).toMatchObject({ marked: false, detail: expect.stringContaining("canary") });
    expect(traced.body.matches).toEqual([
      expect.objectContaining({
        install_id: a.installId,
        version: "1.0.0",
        evidence: [{ kind: "canary", terms: [canary.term] }],
      }),
    ]);
    expect(traced.body.matches[0].confidence).toBeGreaterThanOrEqual(0.99);

    // A marked copy with its canary: both kinds of evidence on the one install. (The whole answer,
    // not one note: a single short note carries few marks, and at so few an unrelated copy agrees
    // well enough by chance to be named now and then — the trace says so only above 0.9.)
    const answer = (
      await bed.api("POST", `/api/v1/vaults/${a.vault.id}/search`, a.key, {
        query: "crane",
        mode: "keyword",
        top_k: 40,
      })
    ).body.results as Array<{ text: string }>;
    expect(answer.some((r) => stripMarks(r.text).endsWith(canary.text))).toBe(true);
    const marked = answer.map((r) => r.text).join("\n");
    const both = await bed.api("POST", "/api/v1/trace", bed.publisherKey, { text: marked });
    // The install it came from is named first, by both; another install may follow in a run now and
    // then, by a canary term whose two invented words the answer happens to hold (issue 33 weighs
    // how large the canaries' word space must be), never by a fingerprint and never ahead of it.
    const [top, ...others] = both.body.matches as Array<{
      install_id: string;
      confidence: number;
      evidence: Array<{ kind: string }>;
    }>;
    expect(top!.install_id).toBe(a.installId);
    expect(top!.evidence.map((e) => e.kind).sort()).toEqual(["canary", "fingerprint"]);
    for (const other of others) {
      expect(other.evidence.map((e) => e.kind)).toEqual(["canary"]);
      expect(other.confidence).toBeLessThan(top!.confidence);
    }

    // Another publisher learns nothing from the same paraphrase.
    const rival = await bed.organization("Crane Rivals", "owner@crane-rivals.example.com");
    expect((await bed.api("POST", "/api/v1/trace", rival, { text: paraphrase })).body.matches).toEqual([]);
  });

  it("are off unless the publisher turns them on, and only for plaintext cubes", async () => {
    const { listing } = await submitted("crane-notes-plain", notes.map((n) => JSON.stringify(n)).join("\n"));
    expect(listing.canaries).toBe(false);
    expect((await bed.api("POST", `/api/v1/listings/${listing.id}/publish`, bed.publisherKey)).status).toBe(
      200,
    );
    const s = await subscriber("Crane Hire West", listing.id);
    const results = (
      await bed.api("POST", `/api/v1/vaults/${s.vault.id}/search`, s.key, {
        query: "crane",
        mode: "keyword",
        top_k: 40,
      })
    ).body.results as Array<{ text: string }>;
    expect(results.map((r) => stripMarks(r.text)).sort()).toEqual(notes.map((n) => n.text).sort());

    const kv = await bed.api("POST", "/api/v1/cubes", bed.publisherKey, {
      slug: "crane-kv",
      type: "activation",
      title: "Crane KV",
    });
    const refused = await bed.api("POST", "/api/v1/listings", bed.publisherKey, {
      cube_id: kv.body.id,
      visibility: "public",
      pricing: { model: "free" },
      canaries: true,
    });
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      code: "invalid_input",
      detail: expect.stringContaining("activation"),
    });
    const marks = await bed.api("POST", "/api/v1/listings", bed.publisherKey, {
      cube_id: kv.body.id,
      visibility: "public",
      pricing: { model: "free" },
      marks: "dense",
    });
    expect(marks.status).toBe(400);
    expect(marks.body.detail).toContain("fingerprint marks are woven into served text");
    const bad = await bed.api("PATCH", `/api/v1/listings/${listing.id}`, bed.publisherKey, {
      marks: "heavy",
    });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe("invalid_input");
  });
});

describe("vault desensitise_on_write", () => {
  it("desensitises memories agents write when the vault says so, and not after it is turned off", async () => {
    const key = await bed.organization("Care Notes", "owner@care-notes.example.com");
    const created = await bed.api("POST", "/api/v1/vaults", key, {
      name: "notes",
      desensitise_on_write: true,
    });
    expect(created.body).toMatchObject({ desensitise_on_write: true });
    const vaultId = created.body.id as string;
    const memory = await bed.api("POST", `/api/v1/vaults/${vaultId}/memories`, key, {
      text: "Call back jane.doe@example.org about the invoice.",
    });
    expect(memory.status).toBe(201);
    expect(memory.body.text).toBe("Call back <EMAIL> about the invoice.");
    const updated = await bed.api("PATCH", `/api/v1/vaults/${vaultId}/memories/${memory.body.id}`, key, {
      text: "Call back jane.doe@example.org on Monday.",
    });
    expect(updated.body.text).toBe("Call back <EMAIL> on Monday.");

    const redacting = await bed.api("PATCH", `/api/v1/vaults/${vaultId}`, key, {
      pii_policy: { EMAIL: "redact" },
    });
    expect(redacting.body.pii_policy).toEqual({ EMAIL: "redact" });
    const off = await bed.api("PATCH", `/api/v1/vaults/${vaultId}`, key, { desensitise_on_write: false });
    expect(off.body.desensitise_on_write).toBe(false);
    // A change that leaves the policy out keeps it.
    expect(off.body.pii_policy).toEqual({ EMAIL: "redact" });
    const raw = await bed.api("POST", `/api/v1/vaults/${vaultId}/memories`, key, {
      text: "Mail jane.doe@example.org.",
    });
    expect(raw.body.text).toBe("Mail jane.doe@example.org.");

    const badPolicy = await bed.api("PATCH", `/api/v1/vaults/${vaultId}`, key, {
      pii_policy: { EMAIL: "shred" },
    });
    expect(badPolicy.status).toBe(400);
  });
});
