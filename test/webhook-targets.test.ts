import { lookup } from "node:dns/promises";
import { hostname } from "node:os";
import { isPublicAddress } from "@memstore/api/events";
import { queryRows, sql } from "@memstore/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHttpTestbed } from "./support/http-testbed.ts";
import { webhookReceiver } from "./support/webhook-receiver.ts";

// The default configuration: webhooks reach public addresses only.
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let subscriberKey: string;
const receiver = await webhookReceiver();

beforeAll(async () => {
  bed = await openHttpTestbed();
  subscriberKey = await bed.organization("Curious Co", "ops@curious.example.com");
});

afterAll(async () => {
  await receiver.close();
  await bed?.close();
});

describe("webhook targets outside the public network", () => {
  it("refuses a subscription whose webhook URL names a private, loopback or link-local address", async () => {
    for (const url of [
      receiver.url,
      "http://169.254.169.254/latest/meta-data/",
      "http://10.1.2.3/hook",
      "http://[::1]:8080/hook",
      "http://[::ffff:127.0.0.1]/hook",
      "http://localhost:9000/hook",
      "https://api.localhost/hook",
    ]) {
      const made = await bed.api("POST", "/api/v1/subscriptions", subscriberKey, {
        delivery: { webhook_url: url },
      });
      expect(made, url).toMatchObject({
        status: 422,
        body: { code: "webhook_target_refused", detail: expect.stringContaining("public addresses only") },
      });
    }
    expect((await bed.api("GET", "/api/v1/subscriptions", subscriberKey)).body.items).toEqual([]);
  });

  it("checks the addresses a host name resolves to when delivering, and gives up on them at once", async () => {
    // This machine's own name resolves (through /etc/hosts) to an address of its own network.
    const name = hostname();
    const resolved = await lookup(name, { all: true });
    expect(resolved.some((a) => !isPublicAddress(a.address))).toBe(true);

    const { cube, listing } = await bed.listedCube("tide-tables", "# Tides\nHigh water at noon.\n");
    const made = await bed.api("POST", "/api/v1/subscriptions", subscriberKey, {
      filter: { listing_id: listing.id },
      delivery: { webhook_url: `http://${name}:${receiver.port}/hooks/memstore` },
    });
    expect(made.status).toBe(201);
    await bed.publishVersion(cube.id, "1.1.0", "# Tides\nHigh water at half past noon.\n");
    await bed.t.runner.idle();

    expect(receiver.received).toEqual([]);
    const [delivery] = await queryRows<{ status: string; attempts: number; last_error: string }>(
      bed.t.ctx.db,
      sql`select status, attempts, last_error from webhook_deliveries where event_subscription_id = ${made.body.id}`,
    );
    expect(delivery).toMatchObject({
      status: "dead",
      attempts: 1,
      last_error: expect.stringMatching(/^refused: .* resolves to .*, which is not a public address$/),
    });
  });
});
