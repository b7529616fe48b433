import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";

/**
 * Canonical JSON (RFC 8785, JCS): object members sorted by their names' UTF-16 code units, no
 * whitespace, numbers and strings written as ECMAScript's JSON.stringify writes them. Two parties
 * that hold the same value produce the same bytes, which is what a signature needs.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("canonical JSON has no NaN or Infinity");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  }
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
}

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
