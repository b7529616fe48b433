import { createHmac, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PublisherKeys } from "@memstore/privacy";
import { importPrivateKey } from "@memstore/watermark/signing";
import type { Config } from "./env.ts";

/**
 * The platform's own keys: a master secret (fingerprint codes, publishers' derived keys) and the
 * ed25519 key pair that signs manifests. Each comes from configuration, or is generated once into the
 * data directory on first run; processes on several machines must be given the same values.
 */
export type PlatformKeys = { secret: Buffer; signingKey: KeyObject; publicKey: KeyObject };

export function loadPlatformKeys(config: Config): PlatformKeys {
  const secret = Buffer.from(
    config.PLATFORM_SECRET ??
      persistedFile(config.dataDir, "platform-secret", () => randomBytes(32).toString("base64url")),
  );
  const pem =
    config.PLATFORM_SIGNING_KEY ??
    persistedFile(config.dataDir, "platform-signing-key.pem", () =>
      generateKeyPairSync("ed25519").privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    );
  const signingKey = importPrivateKey(pem);
  return { secret, signingKey, publicKey: createPublicKey(signingKey) };
}

/** A file of the data directory, written with `create` the first time; concurrent starters agree on one. */
export function persistedFile(dataDir: string, name: string, create: () => string): string {
  const file = join(dataDir, name);
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    mkdirSync(dataDir, { recursive: true });
    try {
      writeFileSync(file, create(), { mode: 0o600, flag: "wx" });
    } catch {
      // Another process wrote it first: use theirs.
    }
    return readFileSync(file, "utf8").trim();
  }
}

/**
 * A publisher's keys for the `hash`, `pseudonymise` and `encrypt` operators, derived from the platform
 * secret and the organisation id: the same publisher always gets the same keys, and no two share one.
 */
export function publisherKeys(keys: PlatformKeys, orgId: string): PublisherKeys {
  const derive = (purpose: string) =>
    createHmac("sha256", keys.secret).update(`${purpose}\0${orgId}`).digest();
  return { hmacSecret: derive("publisher-hmac"), encryptionKey: derive("publisher-encryption") };
}
