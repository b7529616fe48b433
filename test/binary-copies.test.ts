import { installs, queryRows, sql } from "@memstore/db";
import { eq } from "drizzle-orm";
import {
  convertSafetensors,
  floatsOf,
  readAllTensors,
  readTar,
  writeTar,
  type FloatDtype,
} from "@memstore/formats";
import { binaryFingerprintKey, orthogonalMatrix, rotateA } from "@memstore/watermark";
import { verifyManifest } from "@memstore/watermark/signing";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { bytesOf, kvSnapshot, loraPack, loraTensors } from "./support/binary-fixtures.ts";
import { openHttpTestbed } from "./support/http-testbed.ts";

/**
 * Installed binary payloads: every subscriber downloads its own fingerprinted copy (ranged, cached
 * by ETag), the copy computes what the original does, carries a signed license, and a leaked copy is
 * traced back to the one organisation it was sold to.
 */
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;

beforeAll(async () => {
  bed = await openHttpTestbed();
  await bed.registerTinyModel();
});

afterAll(async () => {
  await bed?.close();
});

/** A published free listing of a binary cube whose 1.0.0 is ready. */
async function listedBinary(slug: string, type: "activation" | "parametric", payload: Uint8Array) {
  const { cube } = await bed.publishedBinary(slug, type, payload);
  return { cube, listing: await bed.freeListing(cube.id) };
}

type Subscriber = Awaited<ReturnType<typeof bed.subscriber>>;

const payloadUrl = (s: Subscriber) =>
  `${bed.server.url}/api/v1/vaults/${s.vault.id}/installs/${s.installId}/payload`;

async function download(s: Subscriber, headers: Record<string, string> = {}, dtype?: string) {
  const url = payloadUrl(s) + (dtype ? `?dtype=${dtype}` : "");
  const response = await fetch(url, { headers: { authorization: `Bearer ${s.key}`, ...headers } });
  return { response, body: Buffer.from(await response.arrayBuffer()) };
}

async function trace(file: Uint8Array, contentType: string) {
  const response = await fetch(`${bed.server.url}/api/v1/trace`, {
    method: "POST",
    headers: { authorization: `Bearer ${bed.publisherKey}`, "content-type": contentType },
    body: new Uint8Array(file),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as {
    matches: Array<{ install_id: string; confidence: number; evidence: unknown[] }>;
  };
}

async function packFiles(tar: Uint8Array) {
  const files = new Map<string, Buffer>();
  for await (const e of readTar([tar], { maxEntries: 4, maxBytes: 1 << 24 }))
    files.set(e.path, await bytesOf(e.chunks));
  return files;
}

/** The subscriber's organisation, as the database has its install. */
async function orgIdOf(s: Subscriber) {
  const [row] = await bed.t.ctx.db.select().from(installs).where(eq(installs.id, s.installId));
  return row!.orgId;
}

describe("fingerprinted LoRA packs", () => {
  let subscribers: Subscriber[] = [];
  let cubeId = "";

  beforeAll(async () => {
    const { cube, listing } = await listedBinary("harbour-lora", "parametric", await loraPack());
    cubeId = cube.id;
    subscribers = [];
    for (let i = 0; i < 20; i++) subscribers.push(await bed.subscriber(`Fleet ${i}`, listing.id));
    await bed.t.runner.idle();
  }, 120_000);

  it("gives each of 20 organisations its own copy: same function (rotation exact to 1e-6), different bytes, a signed license", async () => {
    const copies = await Promise.all(subscribers.map((s) => download(s)));
    for (const { response } of copies) {
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("application/x-tar");
      expect(response.headers.get("etag")).toMatch(/^"[0-9a-f]{64}"$/);
      expect(response.headers.get("content-disposition")).toBe(
        'attachment; filename="harbour-lora-1.0.0.tar"',
      );
    }
    expect(new Set(copies.map((c) => c.response.headers.get("etag"))).size).toBe(20);
    expect(Number(copies[0]!.response.headers.get("content-length"))).toBe(copies[0]!.body.length);

    const original = new Map(
      loraTensors().map((t) => [t.name, new Float32Array((t.data as Uint8Array).slice().buffer)]),
    );
    const publicKey = bed.t.ctx.keys.publicKey;
    for (const [i, { body }] of copies.slice(0, 5).entries()) {
      const files = await packFiles(body);
      const weights = await readAllTensors([files.get("adapter_model.safetensors")!]);
      const license = JSON.parse(weights.metadata["memstore.license"]!);
      expect(verifyManifest(license, weights.metadata["memstore.license_signature"]!, publicKey)).toBe(true);
      const orgId = await orgIdOf(subscribers[i]!);
      expect(license).toMatchObject({
        licensee: { org_id: orgId, name: `Fleet ${i}` },
        cube: { slug: "harbour-lora", version: "1.0.0" },
      });
      // Un-rotating A with the organisation's Qᵀ gives back the original to within 1e-6.
      const key = binaryFingerprintKey(bed.t.ctx.keys.secret, orgId, cubeId);
      const path = "model.layers.0.self_attn.q_proj";
      const q = orthogonalMatrix(key, path, 4);
      const qt = new Float64Array(16);
      for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) qt[r * 4 + c] = q[c * 4 + r]!;
      const name = `base_model.model.${path}.lora_A.weight`;
      const a = weights.tensors.get(name)!;
      const back = rotateA(qt, floatsOf(a.data, a.dtype as FloatDtype), 4);
      const expected = original.get(name)!;
      expect(Math.max(...back.map((v, j) => Math.abs(v - expected[j]!)))).toBeLessThanOrEqual(1e-6);
      expect(Math.max(...floatsOf(a.data, "F32").map((v, j) => Math.abs(v - expected[j]!)))).toBeGreaterThan(
        1e-3,
      );
    }
  });

  it("traces each of the 20 copies to the organisation it was sold to, also after conversion to f16", async () => {
    for (const s of subscribers) {
      const { body } = await download(s);
      const result = await trace(body, "application/x-tar");
      expect(result.matches.map((m) => m.install_id)).toEqual([s.installId]);
      expect(result.matches[0]!.confidence).toBeGreaterThan(0.999);
    }
    // A leaker converts the weights to f16 and ships a bare safetensors file.
    const leaked = subscribers[13]!;
    const weights = (await packFiles((await download(leaked)).body)).get("adapter_model.safetensors")!;
    const half = await bytesOf(convertSafetensors([weights], weights.length, "F16"));
    const result = await trace(half, "application/vnd.safetensors");
    expect(result.matches.map((m) => m.install_id)).toEqual([leaked.installId]);
    // The publisher's own original is nobody's copy.
    const mine = await trace(await loraPack(), "application/x-tar");
    expect(mine.matches).toEqual([]);
  });

  it("serves the copy in f16 or bf16 on request: the organisation's own values rounded, traced to it", async () => {
    const s = subscribers[4]!;
    const own = await readAllTensors([
      (await packFiles((await download(s)).body)).get("adapter_model.safetensors")!,
    ]);
    const etags = new Set([(await download(s)).response.headers.get("etag")]);
    // Half a unit in the last place: relative for normal values; below f16's smallest normal
    // (2^-14) its steps are 2^-24 apart, so a tiny value may move by up to 2^-25.
    for (const [dtype, tolerance, floor] of [
      ["f16", 2 ** -11, 2 ** -25],
      ["bf16", 2 ** -8, 0],
    ] as const) {
      const { response, body } = await download(s, {}, dtype);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-disposition")).toBe(
        `attachment; filename="harbour-lora-1.0.0.${dtype}.tar"`,
      );
      etags.add(response.headers.get("etag"));
      const files = await packFiles(body);
      expect(JSON.parse(files.get("adapter_config.json")!.toString()).r).toBe(4);
      const weights = await readAllTensors([files.get("adapter_model.safetensors")!]);
      expect(weights.metadata["memstore.license"]).toBe(own.metadata["memstore.license"]);
      for (const [name, t] of own.tensors) {
        const variant = weights.tensors.get(name)!;
        expect(variant.dtype).toBe(dtype.toUpperCase());
        const rounded = floatsOf(variant.data, variant.dtype as FloatDtype);
        const exact = floatsOf(t.data, t.dtype as FloatDtype);
        for (let i = 0; i < exact.length; i++) {
          expect(Math.abs(rounded[i]! - exact[i]!)).toBeLessThanOrEqual(
            Math.max(Math.abs(exact[i]!) * tolerance, floor) + 1e-12,
          );
        }
      }
      const result = await trace(body, "application/x-tar");
      expect(result.matches.map((m) => m.install_id)).toEqual([s.installId]);
    }
    expect(etags.size).toBe(3);
    // A pack has no int8 form; an unknown dtype is refused too.
    for (const dtype of ["int8", "f8"]) {
      const refused = await download(s, {}, dtype);
      expect(refused.response.status).toBe(400);
      const problem = JSON.parse(refused.body.toString());
      expect(problem.code).toBe("invalid_input");
      expect(problem.errors[0].path).toBe("dtype");
    }
  });
});

describe("fingerprinted KV snapshots", () => {
  let subscribers: Subscriber[] = [];

  beforeAll(async () => {
    const { listing } = await listedBinary(
      "harbour-kv",
      "activation",
      await kvSnapshot({ layout: "stacked" }),
    );
    subscribers = [];
    for (let i = 0; i < 3; i++) subscribers.push(await bed.subscriber(`Port ${i}`, listing.id));
    await bed.t.runner.idle();
  }, 60_000);

  it("is shown in the store as signed and checked against its model, but not run (no ONNX export)", async () => {
    const cards = (await bed.api("GET", "/api/v1/store/listings?q=harbour&type=activation", bed.publisherKey))
      .body.items;
    expect(cards.map((c: { cube: { slug: string } }) => c.cube.slug)).toEqual(["harbour-kv"]);
    expect(cards[0].checks).toEqual({ signed: true, desensitised: null, validated: "static" });
    const listing = (await bed.api("GET", `/api/v1/store/listings/${cards[0].id}`, bed.publisherKey)).body;
    expect(listing.versions[0].validation).toMatchObject({
      base_model: "memstore/tiny-llama",
      level: "static",
      provider: null,
      kv: null,
      lora: null,
    });
    expect(listing.versions[0].validation.note).toMatch(/no ONNX export/);
  });

  it("serves byte-exact ranges (206), 304 for a known ETag and 416 past the end", async () => {
    const s = subscribers[0]!;
    const full = await download(s);
    expect(full.response.status).toBe(200);
    expect(full.response.headers.get("accept-ranges")).toBe("bytes");
    const size = full.body.length;
    for (const [range, start, end] of [
      ["bytes=100-199", 100, 199],
      ["bytes=0-0", 0, 0],
      [`bytes=${size - 10}-`, size - 10, size - 1],
      ["bytes=-64", size - 64, size - 1],
      [`bytes=5-${size + 100}`, 5, size - 1],
    ] as const) {
      const part = await download(s, { range });
      expect(part.response.status, range).toBe(206);
      expect(part.response.headers.get("content-range")).toBe(`bytes ${start}-${end}/${size}`);
      expect(Number(part.response.headers.get("content-length"))).toBe(end - start + 1);
      expect(part.body.equals(full.body.subarray(start, end + 1)), range).toBe(true);
    }
    const cached = await download(s, { "if-none-match": full.response.headers.get("etag")! });
    expect(cached.response.status).toBe(304);
    const past = await download(s, { range: `bytes=${size}-` });
    expect(past.response.status).toBe(416);
    expect(past.response.headers.get("content-range")).toBe(`bytes */${size}`);
    // A stale If-Range gets the whole (new) file, not a piece of it.
    const stale = await download(s, { range: "bytes=0-9", "if-range": '"0000"' });
    expect(stale.response.status).toBe(200);
  });

  it("hands out a five-minute download link, counted when made, that the API serves without a key", async () => {
    const s = subscribers[1]!;
    const usage = async () =>
      (
        await queryRows<{ calls: number; bytes: number }>(
          bed.t.ctx.db,
          sql`select coalesce(sum(calls), 0)::int as calls, coalesce(sum(bytes), 0)::int as bytes
              from usage_daily where install_id = ${s.installId}`,
        )
      )[0]!;
    const before = await usage();
    const made = await bed.api(
      "POST",
      `/api/v1/vaults/${s.vault.id}/installs/${s.installId}/payload-link`,
      s.key,
      {},
    );
    expect(made.status).toBe(201);
    const copy = (await download(s)).body;
    expect(made.body).toMatchObject({
      served_by: "app",
      size: copy.length,
      filename: "harbour-kv-1.0.0.safetensors",
    });
    expect(made.body.url.startsWith(`${bed.server.url}/api/v1/blob-links/`)).toBe(true);
    // Made as a download: one call and its bytes metered (the check above is a second).
    const after = await usage();
    expect(after.calls - before.calls).toBe(2);
    expect(after.bytes - before.bytes).toBe(2 * copy.length);

    const fetched = await fetch(made.body.url);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get("content-disposition")).toBe(
      'attachment; filename="harbour-kv-1.0.0.safetensors"',
    );
    expect(Buffer.from(await fetched.arrayBuffer()).equals(copy)).toBe(true);
    const part = await fetch(made.body.url, { headers: { range: "bytes=10-19" } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(copy.subarray(10, 20))).toBe(true);
    // Using the link is not another call.
    expect((await usage()).calls).toBe(after.calls);

    // A link is good only as signed, and only for five minutes.
    const [body, signature] = made.body.url.split("/").pop().split(".");
    const claims = JSON.parse(Buffer.from(body, "base64url").toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 3600 })).toString("base64url");
    const tampered = await fetch(`${bed.server.url}/api/v1/blob-links/${forged}.${signature}`);
    expect(tampered.status).toBe(404);
    // Whatever else arrives as a token is no link either: a 404 with its code, never a 5xx.
    for (const token of ["x", ".", `${body}.`, `${body}.${"A".repeat(43)}`, "a".repeat(5000), "%00"]) {
      const answer = await fetch(`${bed.server.url}/api/v1/blob-links/${token}`);
      expect([400, 404], token.slice(0, 20)).toContain(answer.status);
      expect(((await answer.json()) as { code: string }).code).toMatch(/^(not_found|invalid_input)$/);
    }
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 301_000);
      const late = await fetch(made.body.url);
      expect(late.status).toBe(410);
      expect(((await late.json()) as { code: string }).code).toBe("link_expired");
    } finally {
      vi.useRealTimers();
    }
    const wrong = await bed.api(
      "POST",
      `/api/v1/vaults/${s.vault.id}/installs/${s.installId}/payload-link`,
      s.key,
      { dtype: "bf16" },
    );
    expect(wrong.status).toBe(400);
    // A body that is not the contract's: 400 with a code, nothing counted.
    const calls = (await usage()).calls;
    const link = `${bed.server.url}/api/v1/vaults/${s.vault.id}/installs/${s.installId}/payload-link`;
    for (const body of ["{", "[]", '{"dtype":5}', '"f16"']) {
      const answer = await fetch(link, {
        method: "POST",
        headers: { authorization: `Bearer ${s.key}`, "content-type": "application/json" },
        body,
      });
      expect(answer.status, body).toBe(400);
      expect(((await answer.json()) as { code: string }).code).toMatch(/^invalid_/);
    }
    expect((await usage()).calls).toBe(calls);
  });

  it("keeps every value within the stated strength of the original and traces a copy to its organisation", async () => {
    const original = await readAllTensors([await kvSnapshot()]);
    const copies = await Promise.all(subscribers.map(async (s) => (await download(s)).body));
    const copy = await readAllTensors([copies[1]!]);
    expect(copy.tensors.get("input_ids")!.data.equals(original.tensors.get("input_ids")!.data)).toBe(true);
    const key = copy.tensors.get("past_key_values.1.value")!;
    const source = floatsOf(original.tensors.get("past_key_values.1.value")!.data, "F32");
    const marked = floatsOf(key.data, "F32");
    const rms = Math.sqrt(source.reduce((a, v) => a + v * v, 0) / source.length);
    const deltas = marked.map((v, i) => Math.abs(v - source[i]!));
    expect(Math.max(...deltas)).toBeLessThanOrEqual(0.002 * rms * 1.0001);
    expect(Math.min(...deltas)).toBeGreaterThan(0);
    for (const [i, s] of subscribers.entries()) {
      const result = await trace(copies[i]!, "application/vnd.safetensors");
      expect(result.matches.map((m) => m.install_id)).toEqual([s.installId]);
    }
  });

  it("serves an int8 form of the copy on request: each value within half a step of the copy, traced to its organisation", async () => {
    const s = subscribers[2]!;
    const own = await readAllTensors([(await download(s)).body]);
    const { response, body } = await download(s, { range: "bytes=0-7" }, "int8");
    expect(response.status).toBe(206);
    const size = Number(response.headers.get("content-range")!.split("/")[1]);
    const whole = await download(s, {}, "int8");
    expect(whole.body.length).toBe(size);
    expect(whole.body.subarray(0, 8).equals(body)).toBe(true);
    expect(whole.response.headers.get("content-disposition")).toBe(
      'attachment; filename="harbour-kv-1.0.0.int8.safetensors"',
    );
    const int8 = await readAllTensors([whole.body]);
    expect(int8.metadata.dtype).toBe("int8");
    expect(int8.metadata["memstore.license"]).toBe(own.metadata["memstore.license"]);
    expect(int8.tensors.get("input_ids")!.data.equals(own.tensors.get("input_ids")!.data)).toBe(true);
    const name = "past_key_values.0.key";
    const q = int8.tensors.get(name)!;
    const scales = floatsOf(int8.tensors.get(`${name}.scale`)!.data, "F32");
    const values = floatsOf(own.tensors.get(name)!.data, "F32");
    const [, heads, tokens, dim] = q.shape;
    const ints = new Int8Array(q.data.buffer, q.data.byteOffset, q.data.length);
    expect(q.dtype).toBe("I8");
    for (let h = 0; h < heads!; h++)
      for (let p = 0; p < tokens!; p++)
        for (let d = 0; d < dim!; d++) {
          const i = (h * tokens! + p) * dim! + d;
          const step = scales[h * dim! + d]!;
          expect(Math.abs(ints[i]! * step - values[i]!)).toBeLessThanOrEqual(step / 2 + 1e-7);
        }
    const result = await trace(whole.body, "application/vnd.safetensors");
    expect(result.matches.map((m) => m.install_id)).toEqual([s.installId]);
    // A snapshot is offered as int8 only.
    expect((await download(s, {}, "f16")).response.status).toBe(400);
  });

  it("refuses a plaintext install's payload (409) and another organisation's install (404)", async () => {
    const { listing } = await bed.listedCube("plain-guide", "# Guide\n\nCranes are inspected every spring.");
    const reader = await bed.subscriber("Reader", listing.id);
    const plain = await download(reader);
    expect(plain.response.status).toBe(409);
    expect(JSON.parse(plain.body.toString()).detail).toMatch(/search/);
    const stranger = await fetch(payloadUrl(subscribers[0]!), {
      headers: { authorization: `Bearer ${reader.key}` },
    });
    expect(stranger.status).toBe(404);
    // A trace of a tar that is no pack says so.
    const empty = await fetch(`${bed.server.url}/api/v1/trace`, {
      method: "POST",
      headers: { authorization: `Bearer ${bed.publisherKey}`, "content-type": "application/x-tar" },
      body: new Uint8Array(await bytesOf(writeTar([]))),
    });
    expect(empty.status).toBe(422);
    expect((await empty.json()).code).toBe("lora_pack_invalid");
  });
});
