import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import type { Finding } from "./entities.ts";
import type { Operator } from "./schemas.ts";

export { type Operator, type OperatorName, operatorSchema } from "./schemas.ts";

/** The publisher's keys: `hash` uses the HMAC secret, `encrypt` the AES-256-GCM key, `pseudonymise` both. */
export type PublisherKeys = { hmacSecret: Buffer; encryptionKey: Buffer };

/**
 * `pseudonymise` hands each distinct value the next number of its type, in order of first
 * appearance: the same person is PERSON_3 throughout a cube. Values are held by their keyed HMAC,
 * never in the clear.
 */
export class Pseudonyms {
  private readonly byDigest = new Map<string, string>();
  private readonly counts = new Map<string, number>();
  constructor(private readonly secret: Buffer) {}

  of(type: string, value: string): string {
    const digest = createHmac("sha256", this.secret)
      .update(`${type}\0${value.normalize("NFKC").toLowerCase()}`)
      .digest("base64url");
    let name = this.byDigest.get(digest);
    if (!name) {
      const n = (this.counts.get(type) ?? 0) + 1;
      this.counts.set(type, n);
      name = `${type}_${n}`;
      this.byDigest.set(digest, name);
    }
    return name;
  }
}

const ENCRYPTED = /⟦enc:([A-Za-z0-9_-]+)⟧/g;

/** AES-256-GCM with a fresh IV: `⟦enc:<iv|ciphertext|tag, base64url>⟧`, readable only with the key. */
export function encryptValue(key: Buffer, value: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  const body = Buffer.concat([cipher.update(value, "utf8"), cipher.final()]);
  return `⟦enc:${Buffer.concat([iv, body, cipher.getAuthTag()]).toString("base64url")}⟧`;
}

/** Puts back every value `encrypt` replaced in a text; a wrong key or an altered token throws. */
export function decryptText(key: Buffer, text: string): string {
  return text.replace(ENCRYPTED, (_, token: string) => {
    const raw = Buffer.from(token, "base64url");
    const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString(
      "utf8",
    );
  });
}

/** The replacement text for one finding. */
export function applyOperator(
  op: Operator,
  finding: Finding,
  keys: PublisherKeys,
  pseudonyms: Pseudonyms,
): string {
  switch (op.operator) {
    case "redact":
      return "";
    case "replace":
      return op.with ?? `<${finding.type}>`;
    case "mask": {
      const chars = [...finding.text];
      const n = Math.min(op.chars, chars.length);
      const range = op.from_end ? [chars.length - n, chars.length] : [0, n];
      return chars.map((c, i) => (i >= range[0]! && i < range[1]! ? op.char : c)).join("");
    }
    case "pseudonymise":
      return `<${pseudonyms.of(finding.type, finding.text)}>`;
    case "hash":
      return `<${finding.type}:${createHmac("sha256", keys.hmacSecret).update(finding.text).digest("hex")}>`;
    case "encrypt":
      return encryptValue(keys.encryptionKey, finding.text);
    case "keep":
      return finding.text;
  }
}
