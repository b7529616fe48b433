import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readTar, writeTar } from "@memstore/formats";
import { MemStoreApiError } from "@memstore/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHttpTestbed } from "./support/http-testbed.ts";
import { runMemstore } from "./support/processes.ts";

/**
 * Signed bundles: a ready version exported as one tar (the same bytes every time), imported by
 * another organisation as a draft that processes again, checked offline by `memstore bundle
 * verify`; and a bundle altered in any one part refused with what failed, leaving nothing written.
 */
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let rival: string;
let bundle: Buffer;
let cubeId: string;
const dir = mkdtempSync(join(tmpdir(), "memstore-bundles-"));
const GUIDE = `${JSON.stringify({ text: "Pilots board at the fairway buoy two hours before high water." })}\n`;

beforeAll(async () => {
  bed = await openHttpTestbed();
  rival = await bed.organization("Fjord Pilots", "owner@fjord.example.com");
  const { cube } = await bed.submittedCube("pilotage-guide", GUIDE, {
    governance: { license: { calls_per_day: 100 } },
  });
  cubeId = cube.id;
});

afterAll(async () => {
  await bed?.close();
  rmSync(dir, { recursive: true, force: true });
});

const sdk = (key: string) => bed.client(key);
const collect = async <T>(items: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
};
const bytesOf = async (stream: ReadableStream<Uint8Array>) =>
  Buffer.from(await new Response(stream).arrayBuffer());

/** The bundle's files, in order, as name → bytes. */
async function entries(tar: Buffer): Promise<Array<[string, Buffer]>> {
  const out: Array<[string, Buffer]> = [];
  for await (const entry of readTar([tar], { maxEntries: 10, maxBytes: 1 << 24 }))
    out.push([entry.path, Buffer.concat(await collect(entry.chunks))]);
  return out;
}

/** The bundle with one part replaced (or removed, given null). */
async function altered(name: string, change: (bytes: Buffer) => Buffer | null): Promise<Buffer> {
  const files = [];
  for (const [path, bytes] of await entries(bundle)) {
    const next = path === name ? change(bytes) : bytes;
    if (next) files.push({ path, size: next.length, data: next });
  }
  return Buffer.concat(await collect(writeTar(files)));
}

const json = (bytes: Buffer) => JSON.parse(bytes.toString("utf8")) as Record<string, unknown>;
const asJson = (value: unknown) => Buffer.from(`${JSON.stringify(value)}\n`);

describe("signed bundles", () => {
  it("exports a ready version as one tar, the same bytes every time", async () => {
    const first = await sdk(bed.publisherKey).bundles.export(cubeId, "1.0.0");
    bundle = await bytesOf(first.stream);
    expect(bundle.length).toBe(first.size);
    const again = await bytesOf((await sdk(bed.publisherKey).bundles.export(cubeId, "1.0.0")).stream);
    expect(again.equals(bundle)).toBe(true);
    const parts = await entries(bundle);
    expect(parts.map(([name]) => name)).toEqual([
      "license.json",
      "memcube.json",
      "payload.jsonl",
      "signature.json",
    ]);
    const files = Object.fromEntries(parts);
    expect(files["payload.jsonl"]!.toString()).toBe(GUIDE);
    const manifest = json(files["memcube.json"]!);
    expect(manifest).toMatchObject({ cube: "pilotage-guide", version: "1.0.0", type: "plaintext" });
    expect((manifest.payload as { digest: string }).digest).toBe(
      `sha256:${createHash("sha256").update(GUIDE).digest("hex")}`,
    );
    expect(json(files["license.json"]!)).toEqual({ calls_per_day: 100 });
    const key = await sdk(bed.publisherKey).platformKey();
    expect(json(files["signature.json"]!)).toMatchObject({
      alg: "ed25519",
      key_id: key.key_id,
      signed: "memcube.json",
    });
  });

  it("is imported by another organisation as a draft that processes again and is signed here", async () => {
    const imported = await sdk(rival).bundles.import(bundle);
    expect(imported.checked).toEqual([
      expect.stringMatching(/^signature: ed25519 by key \w{16} over memcube\.json$/),
      "memcube.json: pilotage-guide@1.0.0 (plaintext)",
      expect.stringMatching(/^payload: payload\.jsonl, \d+ bytes, sha256:/),
      "license.json: the signed manifest's license",
    ]);
    expect(imported.version).toMatchObject({
      version: "1.0.0",
      status: "draft",
      content_type: "application/x-ndjson",
    });
    const cubeOfRival = imported.version.cube_id;
    await sdk(rival).submitVersion(cubeOfRival, "1.0.0");
    await bed.t.runner.idle();
    const ready = await sdk(rival).getVersion(cubeOfRival, "1.0.0");
    expect(ready.status).toBe("ready");
    expect((ready.manifest.governance as { license: unknown }).license).toEqual({ calls_per_day: 100 });
    expect(await sdk(rival).verifyVersion(ready)).toBe(true);
    // Once is enough: the same version again is a conflict.
    await expect(sdk(rival).bundles.import(bundle)).rejects.toMatchObject({ status: 409 });
  });

  it("refuses a bundle altered in any one part, naming what failed, and writes nothing", async () => {
    const fresh = await bed.organization("Tamperers", "owner@tamper.example.com");
    const cases: Array<[string, Promise<Buffer>, RegExp]> = [
      [
        "manifest",
        altered("memcube.json", (b) => asJson({ ...json(b), title: "Someone else's" })),
        /^signature: does not verify/,
      ],
      [
        "payload",
        altered("payload.jsonl", (b) => Buffer.from(b.toString().replace("two hours", "six hours"))),
        /^payload: digest sha256:\w+, the manifest says/,
      ],
      [
        "signature",
        altered("signature.json", (b) =>
          asJson({ ...json(b), signature: Buffer.alloc(64, 7).toString("base64url") }),
        ),
        /^signature: does not verify/,
      ],
      [
        "key",
        altered("signature.json", (b) => asJson({ ...json(b), key_id: "0123456789abcdef" })),
        /^signature: made with key 0123456789abcdef/,
      ],
      [
        "license",
        altered("license.json", () => asJson({ calls_per_day: 100000 })),
        /^license\.json: differs/,
      ],
      ["missing signature", altered("signature.json", () => null), /^signature\.json: missing/],
    ];
    for (const [what, made, reason] of cases) {
      const error = await sdk(fresh)
        .bundles.import(await made)
        .catch((e: unknown) => e);
      expect(error, what).toBeInstanceOf(MemStoreApiError);
      const problem = (error as MemStoreApiError).problem as unknown as { code: string; failed: string[] };
      expect(problem.code, what).toBe("bundle_invalid");
      expect(problem.failed, what).toContainEqual(expect.stringMatching(reason));
    }
    expect((await sdk(fresh).listCubes()).items).toEqual([]);
    // The altered payload was staged while it was hashed, and deleted when it did not verify.
    const tampered = Buffer.from(GUIDE.replace("two hours", "six hours"));
    const digest = `sha256:${createHash("sha256").update(tampered).digest("hex")}`;
    expect(await bed.t.ctx.blobs.stat(digest)).toBeNull();
  });

  it("is checked offline by `memstore bundle verify` against the platform's public key", async () => {
    const keyFile = join(dir, "platform-key.json");
    writeFileSync(keyFile, JSON.stringify(await sdk(bed.publisherKey).platformKey()));
    const good = join(dir, "good.tar");
    writeFileSync(good, bundle);
    const ok = await runMemstore(["bundle", "verify", good, "--public-key", keyFile], {});
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/checked +signature: ed25519 by key \w{16} over memcube\.json/);
    expect(ok.stdout).toMatch(/checked +payload: payload\.jsonl/);
    expect(ok.stdout).toContain("the bundle is intact and signed by the platform");

    const bad = join(dir, "bad.tar");
    writeFileSync(bad, await altered("payload.jsonl", (b) => Buffer.from(b.toString().toUpperCase())));
    const refused = await runMemstore(["bundle", "verify", bad, "--public-key", keyFile], {});
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/FAILED +payload: digest/);

    // export and import from the command line, too.
    const out = join(dir, "cli.tar");
    const env = { MEMSTORE_URL: bed.server.url, MEMSTORE_API_KEY: bed.publisherKey };
    const exported = await runMemstore(["bundle", "export", cubeId, "1.0.0", "-o", out], env);
    expect(exported.code, exported.stderr).toBe(0);
    const other = await bed.organization("Harbour Two", "owner@harbour-two.example.com");
    const imported = await runMemstore(["bundle", "import", out], { ...env, MEMSTORE_API_KEY: other });
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/imported as draft ver_\w+ \(1\.0\.0\)/);
  });
});
