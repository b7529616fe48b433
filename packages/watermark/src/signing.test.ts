import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  importPublicKey,
  publicKeyDocument,
  signManifest,
  verifyManifest,
} from "./signing.ts";

describe("canonical JSON (RFC 8785)", () => {
  it("sorts members by UTF-16 code units and writes no whitespace", () => {
    expect(canonicalJson({ b: 1, a: [true, null, "x"], "€": 0, "\u{1F600}": 1, "\ufb33": 2 })).toBe(
      '{"a":[true,null,"x"],"b":1,"€":0,"\u{1F600}":1,"\ufb33":2}',
    );
  });

  it("writes numbers as ECMAScript does", () => {
    expect(canonicalJson([1e21, 1e-7, 0.1 + 0.2, -0, 100, 4.5])).toBe(
      "[1e+21,1e-7,0.30000000000000004,0,100,4.5]",
    );
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(TypeError);
  });

  it("is the same for equal values built in any member order", () => {
    expect(canonicalJson({ x: { q: 1, p: [2, { z: 1, y: 2 }] }, w: "s" })).toBe(
      canonicalJson({ w: "s", x: { p: [2, { y: 2, z: 1 }], q: 1 } }),
    );
  });
});

describe("manifest signatures", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const manifest = {
    schema: "memcube/1",
    cube: "support-faq",
    version: "1.0.0",
    tags: ["support"],
    payload: { format: "jsonl", digest: `sha256:${"ab".repeat(32)}`, size: 1234 },
  };

  it("verifies with the public key taken from its document", () => {
    const signature = signManifest(manifest, privateKey);
    const doc = publicKeyDocument(publicKey);
    expect(doc).toMatchObject({ alg: "ed25519", key_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
    expect(verifyManifest(manifest, signature, importPublicKey(doc))).toBe(true);
    // Member order does not matter, the values do.
    expect(verifyManifest({ ...manifest, schema: "memcube/1" }, signature, publicKey)).toBe(true);
  });

  it("fails when any field or the signature changes", () => {
    const signature = signManifest(manifest, privateKey);
    const tampered = [
      { ...manifest, version: "1.0.1" },
      { ...manifest, tags: ["support", "extra"] },
      { ...manifest, payload: { ...manifest.payload, size: 1235 } },
      { ...manifest, payload: { ...manifest.payload, digest: `sha256:${"ab".repeat(31)}ac` } },
      { ...manifest, extra: true },
    ];
    for (const m of tampered) expect(verifyManifest(m, signature, publicKey)).toBe(false);
    const bytes = Buffer.from(signature, "base64url");
    bytes[10]! ^= 1;
    expect(verifyManifest(manifest, bytes.toString("base64url"), publicKey)).toBe(false);
    expect(verifyManifest(manifest, "short", publicKey)).toBe(false);
    expect(verifyManifest(manifest, signature, generateKeyPairSync("ed25519").publicKey)).toBe(false);
  });
});
