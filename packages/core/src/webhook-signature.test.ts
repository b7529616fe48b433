import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { newWebhookSecret, signWebhook, verifyWebhookSignature } from "./webhook-signature.ts";

describe("webhook signatures", () => {
  const secret = newWebhookSecret();
  const body = JSON.stringify({ id: "evt_1", type: "version.published", data: { version: "1.1.0" } });
  const now = 1_790_000_000_000;
  const t = Math.floor(now / 1000);

  it("is the hex HMAC-SHA256 of '<t>.<body>' with the secret, as API.md specifies", () => {
    const expected = createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");
    expect(signWebhook(secret, body, t)).toBe(`t=${t},v1=${expected}`);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{32}$/);
  });

  it("verifies an untouched delivery and refuses a changed body, another secret or a stale timestamp", () => {
    const header = signWebhook(secret, body, t);
    expect(verifyWebhookSignature(secret, body, header, { now })).toBe(true);
    expect(verifyWebhookSignature(secret, body.replace("1.1.0", "9.9.9"), header, { now })).toBe(false);
    expect(verifyWebhookSignature(newWebhookSecret(), body, header, { now })).toBe(false);
    expect(verifyWebhookSignature(secret, body, header, { now: now + 301_000 })).toBe(false);
    expect(verifyWebhookSignature(secret, body, null, { now })).toBe(false);
    expect(verifyWebhookSignature(secret, body, `t=${t},v1=zz`, { now })).toBe(false);
  });
});
