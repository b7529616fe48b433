import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";

/**
 * Canonical JSON (RFC 8785, JCS), the one MemStore writes wherever bytes must not depend on who
 * wrote them (a signature, the audit chain's hashes): the JSON value a plain `JSON.stringify`
 * would write (a `toJSON` applied, so a Date is its ISO string; an undefined member left out and
 * an undefined array item null), with object members sorted by their names' UTF-16 code units, no
 * whitespace, numbers and strings as ECMAScript writes them. NaN and Infinity have no JSON and are
 * refused.
 */
export function canonicalJson(value: unknown): string {
  const json = hasToJson(value) ? value.toJSON() : value;
  if (json === null || typeof json === "boolean" || typeof json === "string") return JSON.stringify(json);
  if (typeof json === "number") {
    if (!Number.isFinite(json)) throw new TypeError("canonical JSON has no NaN or Infinity");
    return JSON.stringify(json);
  }
  if (Array.isArray(json)) {
    return `[${json.map((v) => (v === undefined || typeof v === "function" ? "null" : canonicalJson(v))).join(",")}]`;
  }
  if (typeof json === "object") {
    const entries = Object.entries(json)
      .filter(([, v]) => v !== undefined && typeof v !== "function")
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  throw new TypeError(`canonical JSON cannot hold a ${typeof json}`);
}

const hasToJson = (value: unknown): value is { toJSON(): unknown } =>
  typeof value === "object" && value !== null && typeof (value as { toJSON?: unknown }).toJSON === "function";

/** The platform's public key as served at /api/v1/keys/platform. */
export type PublicKeyDocument = { alg: "ed25519"; key_id: string; public_key: string };

/** An id for a public key: the first 16 hex digits of the SHA-256 of its raw 32 bytes. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash("sha256").update(rawPublicKey(publicKey)).digest("hex").slice(0, 16);
}

function rawPublicKey(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: "jwk" });
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || !jwk.x) throw new TypeError("not an ed25519 key");
  return Buffer.from(jwk.x, "base64url");
}

export function publicKeyDocument(publicKey: KeyObject): PublicKeyDocument {
  return {
    alg: "ed25519",
    key_id: keyIdOf(publicKey),
    public_key: rawPublicKey(publicKey).toString("base64url"),
  };
}

/** A public key from its document (or the base64url of its raw 32 bytes). */
export function importPublicKey(key: PublicKeyDocument | string): KeyObject {
  const x = typeof key === "string" ? key : key.public_key;
  if (Buffer.from(x, "base64url").length !== 32) throw new TypeError("an ed25519 public key is 32 bytes");
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
}

/** A private key from PKCS#8 PEM. */
export function importPrivateKey(pem: string): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== "ed25519") throw new TypeError("the signing key must be ed25519");
  return key;
}

/** The base64url ed25519 signature of a manifest's canonical JSON. */
export function signManifest(manifest: unknown, privateKey: KeyObject): string {
  return sign(null, Buffer.from(canonicalJson(manifest)), privateKey).toString("base64url");
}

/** Whether a signature is the platform's over exactly this manifest. */
export function verifyManifest(manifest: unknown, signature: string, publicKey: KeyObject): boolean {
  const bytes = Buffer.from(signature, "base64url");
  if (bytes.length !== 64) return false;
  return verify(null, Buffer.from(canonicalJson(manifest)), publicKey, bytes);
}

/** The `sha256:` digest and size of a payload read from a stream, for checking against a manifest. */
export async function digestOf(stream: AsyncIterable<Uint8Array>): Promise<{ digest: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { digest: `sha256:${hash.digest("hex")}`, size };
}
