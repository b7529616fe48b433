import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** Webhook signing secrets look like `whsec_<random>`. */
export const newWebhookSecret = () => `whsec_${randomBytes(24).toString("base64url")}`;

/**
 * The `MemStore-Signature` header of a webhook delivery: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<raw body>" keyed with the subscription secret>`.
 */
export function signWebhook(secret: string, rawBody: string, unixSeconds: number): string {
  const mac = createHmac("sha256", secret).update(`${unixSeconds}.${rawBody}`).digest("hex");
  return `t=${unixSeconds},v1=${mac}`;
}

/**
 * What a subscriber runs on receipt: true when the signature matches the raw body and is no older
 * than `toleranceSeconds` (replayed deliveries are refused).
 */
export function verifyWebhookSignature(
  secret: string,
  rawBody: string,
  header: string | null,
  { now = Date.now(), toleranceSeconds = 300 }: { now?: number; toleranceSeconds?: number } = {},
): boolean {
  if (!header) return false;
  const parts = Object.fromEntries(
    header.split(",").map((p) => p.trim().split("=", 2) as [string, string | undefined]),
  );
  const t = Number(parts.t);
  const given = parts.v1;
  if (!Number.isInteger(t) || !given || !/^[0-9a-f]{64}$/.test(given)) return false;
  if (Math.abs(now / 1000 - t) > toleranceSeconds) return false;
  const expected = signWebhook(secret, rawBody, t).split("v1=")[1]!;
  return timingSafeEqual(Buffer.from(expected, "hex"), Buffer.from(given, "hex"));
}
