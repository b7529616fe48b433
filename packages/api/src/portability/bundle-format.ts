import type { KeyObject } from "node:crypto";
import { AppError, CUBE_TYPE_DEFINITIONS, fileKindOf, type Manifest, manifestSchema } from "@memstore/core";
import { readTar, tarSize, writeTar } from "@memstore/formats";
import { canonicalJson, keyIdOf, verifyManifest } from "@memstore/watermark/signing";

/**
 * A signed portable bundle (MemDumper / MemLoader): one tar of `license.json` (the terms), the
 * signed manifest as `memcube.json`, the payload as `payload.<ext>` and `signature.json` (ed25519
 * over the manifest's canonical JSON, with the key's id), in that order, every header the same for
 * the same files (mode 0644, owner 0, mtime 0): one version's bundle is the same bytes every time.
 * Read back as a stream, every part is checked: nothing is trusted until all of it verifies.
 */
export type BundleSignature = { alg: "ed25519"; key_id: string; signature: string; signed: "memcube.json" };

const SMALL_FILE = 1 << 20;
const LIMITS = { maxEntries: 8, maxBytes: Number.MAX_SAFE_INTEGER };

/** The payload's name in a bundle: `payload.` and the extension of its media type. */
export function payloadName(manifest: Manifest, contentType: string | null): string {
  const media = CUBE_TYPE_DEFINITIONS[manifest.type].media.find((m) => m.type === contentType);
  return `payload.${media?.extensions[0] ?? "bin"}`;
}

export function bundleFiles(
  manifest: Manifest,
  signature: BundleSignature,
  payload: { name: string; size: number; data: AsyncIterable<Uint8Array> },
) {
  const json = (value: unknown) => Buffer.from(`${canonicalJson(value)}\n`);
  const license = json(manifest.governance.license ?? {});
  const memcube = json(manifest);
  const signed = json(signature);
  return [
    { path: "license.json", size: license.length, data: license },
    { path: "memcube.json", size: memcube.length, data: memcube },
    { path: payload.name, size: payload.size, data: payload.data },
    { path: "signature.json", size: signed.length, data: signed },
  ];
}

/** The bundle as a byte stream, and its exact length (for Content-Length). */
export function writeBundle(files: ReturnType<typeof bundleFiles>) {
  return { stream: writeTar(files), size: tarSize(files.map((f) => f.size)) };
}

/** What reading a bundle checked, one line per check, and what failed. */
export type BundleReport = {
  manifest: Manifest | null;
  payload: { name: string; digest: string; size: number; contentType: string | null } | null;
  checked: string[];
  failed: string[];
};

async function text(chunks: AsyncIterable<Uint8Array>, name: string, size: number): Promise<string> {
  if (size > SMALL_FILE)
    throw new AppError("bundle_invalid", `${name} is ${size} bytes; at most ${SMALL_FILE}`);
  const parts: Uint8Array[] = [];
  for await (const c of chunks) parts.push(c);
  return Buffer.concat(parts).toString("utf8");
}

/**
 * Reads a bundle: the small files kept, the payload handed to `storePayload` (which stores or just
 * hashes it, and says its digest and size), then every check made — the signature by `publicKey`
 * over the manifest, the manifest's shape, the payload's digest and size against the manifest, the
 * license against the manifest's. The report says what was checked and what failed (nothing
 * failed: the bundle is the platform's, unaltered).
 */
export async function readBundle(
  source: AsyncIterable<Uint8Array>,
  publicKey: KeyObject,
  storePayload: (name: string, data: AsyncIterable<Uint8Array>) => Promise<{ digest: string; size: number }>,
): Promise<BundleReport> {
  const small = new Map<string, string>();
  let payload: BundleReport["payload"] = null;
  for await (const entry of readTar(source, LIMITS)) {
    if (entry.path === "license.json" || entry.path === "memcube.json" || entry.path === "signature.json") {
      small.set(entry.path, await text(entry.chunks, entry.path, entry.size));
    } else if (/^payload\.[a-z0-9]+$/.test(entry.path) && !payload) {
      const stored = await storePayload(entry.path, entry.chunks);
      payload = { name: entry.path, ...stored, contentType: null };
    } else {
      throw new AppError(
        "bundle_invalid",
        `a bundle holds license.json, memcube.json, one payload.* and signature.json; not '${entry.path}'`,
      );
    }
  }
  const report: BundleReport = { manifest: null, payload, checked: [], failed: [] };
  const fail = (what: string) => report.failed.push(what);
  const pass = (what: string) => report.checked.push(what);
  for (const name of ["license.json", "memcube.json", "signature.json"])
    if (!small.has(name)) fail(`${name}: missing`);
  if (!payload) fail("payload: missing");
  const parsed = (name: string): unknown => {
    try {
      return JSON.parse(small.get(name) ?? "null");
    } catch {
      fail(`${name}: not JSON`);
      return null;
    }
  };
  const rawManifest = parsed("memcube.json");
  const signature = parsed("signature.json") as Partial<BundleSignature> | null;
  const license = parsed("license.json");
  if (signature && rawManifest) {
    const keyId = keyIdOf(publicKey);
    if (signature.alg !== "ed25519") fail(`signature: algorithm '${String(signature.alg)}', not ed25519`);
    else if (signature.key_id !== keyId)
      fail(`signature: made with key ${String(signature.key_id)}, not this platform's key ${keyId}`);
    else if (
      typeof signature.signature !== "string" ||
      !verifyManifest(rawManifest, signature.signature, publicKey)
    )
      fail(`signature: does not verify memcube.json with key ${keyId}`);
    else pass(`signature: ed25519 by key ${keyId} over memcube.json`);
  }
  const manifest = rawManifest ? manifestSchema.safeParse(rawManifest) : null;
  if (manifest && !manifest.success) fail("memcube.json: not a MemCube manifest");
  if (manifest?.success) {
    report.manifest = manifest.data;
    pass(`memcube.json: ${manifest.data.cube}@${manifest.data.version} (${manifest.data.type})`);
    const declared = manifest.data.payload;
    if (payload && declared) {
      if (payload.digest !== declared.digest)
        fail(`payload: digest ${payload.digest}, the manifest says ${declared.digest}`);
      else if (payload.size !== declared.size)
        fail(`payload: ${payload.size} bytes, the manifest says ${declared.size}`);
      else pass(`payload: ${payload.name}, ${payload.size} bytes, ${payload.digest}`);
      payload.contentType = fileKindOf(payload.name, manifest.data.type)?.mediaType ?? null;
      if (!payload.contentType) fail(`payload: '${payload.name}' is not a ${manifest.data.type} payload`);
    }
    if (license !== null && small.has("license.json")) {
      if (canonicalJson(license) !== canonicalJson(manifest.data.governance.license ?? {}))
        fail("license.json: differs from the signed manifest's license");
      else pass("license.json: the signed manifest's license");
    }
  }
  return report;
}
