import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHttpTestbed } from "./support/http-testbed.ts";

/** What every response says about itself, and what a response carrying a secret forbids caches. */
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let owner: string;

beforeAll(async () => {
  bed = await openHttpTestbed();
  owner = await bed.organization("Header Co", "owner@headers.example.com");
});

afterAll(async () => {
  await bed?.close();
});

const SECURITY = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
};

describe("response headers", () => {
  it("forbid sniffing, framing and cross-origin referrers on every kind of response", async () => {
    const responses = [
      await fetch(`${bed.server.url}/api/v1/health`),
      await fetch(`${bed.server.url}/api/v1/nothing-here`),
      await fetch(`${bed.server.url}/api/v1/cubes`),
      await fetch(`${bed.server.url}/`),
      await fetch(`${bed.server.url}/api/trpc/account.me`),
    ];
    for (const response of responses) {
      for (const [name, value] of Object.entries(SECURITY)) {
        expect(response.headers.get(name), `${response.url} ${name}`).toBe(value);
      }
    }
  });

  it("keep secrets out of caches: a new key, the publisher key, a subscription's signing secret", async () => {
    const key = await bed.api("POST", "/api/v1/keys", owner, { name: "agent", scopes: ["vault:read"] });
    expect(key.status).toBe(201);
    expect(key.headers.get("cache-control")).toBe("no-store");
    const publisherKey = await bed.api("GET", "/api/v1/keys/publisher", owner);
    expect(publisherKey.headers.get("cache-control")).toBe("no-store");
    const subscription = await bed.api("POST", "/api/v1/subscriptions", owner, {
      filter: { tags: ["tax"] },
      delivery: { sse: true },
    });
    expect(subscription.status).toBe(201);
    expect(subscription.body.secret).toBeTruthy();
    expect(subscription.headers.get("cache-control")).toBe("no-store");
    const trpc = await fetch(`${bed.server.url}/api/trpc/account.me`);
    expect(trpc.headers.get("cache-control")).toBe("no-store");
  });
});
