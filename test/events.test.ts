import { verifyWebhookSignature } from "@memstore/core/webhook-signature";
import { queryRows, sql } from "@memstore/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHttpTestbed } from "./support/http-testbed.ts";
import { webhookReceiver } from "./support/webhook-receiver.ts";

type SseEvent = {
  id: string;
  event: string;
  data: { id: string; type: string; data: Record<string, unknown> };
};

/** An EventSource-like reader over fetch: collects parsed events until closed. */
function followEvents(url: string, key: string, lastEventId?: string) {
  const events: SseEvent[] = [];
  const abort = new AbortController();
  const opened = fetch(url, {
    headers: { authorization: `Bearer ${key}`, ...(lastEventId ? { "last-event-id": lastEventId } : {}) },
    signal: abort.signal,
  }).then(async (response) => {
    const status = response.status;
    if (status !== 200 || !response.body)
      return { status, contentType: response.headers.get("content-type") };
    const contentType = response.headers.get("content-type");
    void (async () => {
      let buffer = "";
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += Buffer.from(chunk).toString("utf8");
          let end: number;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const fields = Object.fromEntries(
              block
                .split("\n")
                .filter((l) => l && !l.startsWith(":"))
                .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1).trim()]),
            );
            if (fields.data)
              events.push({
                id: fields.id ?? "",
                event: fields.event ?? "message",
                data: JSON.parse(fields.data),
              });
          }
        }
      } catch {
        // aborted by the test
      }
    })();
    return { status, contentType };
  });
  return { events, opened, close: () => abort.abort() };
}

let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let subscriberKey: string;
let strangerKey: string;
const hooks: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  // The receivers below listen on 127.0.0.1, which webhooks may reach only when allowed.
  bed = await openHttpTestbed({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true" });
  subscriberKey = await bed.organization("Shipping Co", "ops@shipping.example.com");
  strangerKey = await bed.organization("Stranger", "x@stranger.example.com");
});

afterAll(async () => {
  for (const h of hooks) await h.close();
  await bed?.close();
});

describe("subscriptions, signed webhooks, vault event streams and auto-install", () => {
  it("pushes a new version to every matching subscriber and upgrades the auto-install target", async () => {
    const { cube, listing } = await bed.listedCube(
      "harbour-rules",
      "# Harbour rules\nCranes are lowered at force nine.\n",
      { description: "Operating rules for cranes and berths in storms", tags: ["maritime", "safety"] },
    );

    const vault = (await bed.api("POST", "/api/v1/vaults", subscriberKey, { name: "ops" })).body as {
      id: string;
    };
    const byListing = await webhookReceiver();
    const byQuery = await webhookReceiver([500]); // down once, then back
    const unrelated = await webhookReceiver();
    const gone = await webhookReceiver([410]);
    hooks.push(byListing, byQuery, unrelated, gone);

    const follow = await bed.api("POST", "/api/v1/subscriptions", subscriberKey, {
      filter: { listing_id: listing.id },
      delivery: { webhook_url: byListing.url, sse: true },
      auto_install: { vault_id: vault.id, version_policy: "^1.0.0" },
    });
    expect(follow.status).toBe(201);
    expect(follow.body).toMatchObject({
      id: expect.stringMatching(/^sub_/),
      secret: expect.stringMatching(/^whsec_/),
      filter: { listing_id: listing.id },
      delivery: { webhook_url: byListing.url, sse: true },
      auto_install: { vault_id: vault.id, version_policy: "^1.0.0" },
    });
    const byQuerySub = await bed.api("POST", "/api/v1/subscriptions", subscriberKey, {
      filter: { query: "storm cranes", tags: ["maritime"], types: ["plaintext"] },
      delivery: { webhook_url: byQuery.url },
    });
    await bed.api("POST", "/api/v1/subscriptions", subscriberKey, {
      filter: { types: ["parametric"] },
      delivery: { webhook_url: unrelated.url },
    });
    await bed.api("POST", "/api/v1/subscriptions", subscriberKey, {
      filter: { tags: ["maritime"] },
      delivery: { webhook_url: gone.url },
    });
    const listed = await bed.api("GET", "/api/v1/subscriptions", subscriberKey);
    expect(listed.body.items).toHaveLength(4);
    expect(listed.body.items.every((s: Record<string, unknown>) => !("secret" in s))).toBe(true);

    const stream = followEvents(`${bed.server.url}/api/v1/vaults/${vault.id}/events`, subscriberKey);
    expect(await stream.opened).toEqual({ status: 200, contentType: "text/event-stream; charset=utf-8" });

    // The publisher ships 1.1.0: every matching subscriber hears of it.
    await bed.publishVersion(
      cube.id,
      "1.1.0",
      "# Harbour rules\nCranes are lowered and locked at force nine.\n",
    );
    await bed.t.runner.idle();

    // Deliveries are independent (and concurrent): each is checked by its type, not by order.
    const published = byListing.received.find((r) => JSON.parse(r.body).type === "version.published");
    expect(published).toBeDefined();
    const signatureOk = verifyWebhookSignature(
      follow.body.secret,
      published!.body,
      published!.headers["memstore-signature"] as string,
    );
    expect(signatureOk).toBe(true);
    expect(JSON.parse(published!.body)).toMatchObject({
      id: expect.stringMatching(/^evt_/),
      type: "version.published",
      created_at: expect.any(String),
      data: {
        listing_id: listing.id,
        version: "1.1.0",
        changelog: "release 1.1.0",
        cube: { slug: "harbour-rules", publisher: "harbour-experts" },
      },
    });
    // The auto-install put 1.1.0 into the vault (acquiring the free listing on the way) and said so.
    const installs = await bed.api("GET", `/api/v1/vaults/${vault.id}/installs`, subscriberKey);
    expect(installs.body.items).toMatchObject([{ version: "1.1.0", cube: { slug: "harbour-rules" } }]);
    expect(byListing.received.map((r) => JSON.parse(r.body).type).sort()).toEqual([
      "install.updated",
      "version.published",
    ]);

    // Retried after a 500 and delivered; signed with its own subscription's secret.
    expect(byQuery.received).toHaveLength(2);
    expect(
      verifyWebhookSignature(
        byQuerySub.body.secret,
        byQuery.received[1]!.body,
        byQuery.received[1]!.headers["memstore-signature"] as string,
      ),
    ).toBe(true);
    expect(unrelated.received).toHaveLength(0);
    expect(gone.received).toHaveLength(1);
    const deliveries = await queryRows<{
      status: string;
      attempts: number;
      last_status_code: number;
      url: string;
    }>(
      bed.t.ctx.db,
      sql`select d.status, d.attempts, d.last_status_code, s.webhook_url as url
          from webhook_deliveries d join event_subscriptions s on s.id = d.event_subscription_id`,
    );
    expect(deliveries.find((d) => d.url === byQuery.url)).toMatchObject({
      status: "delivered",
      attempts: 2,
      last_status_code: 200,
    });
    expect(deliveries.find((d) => d.url === gone.url)).toMatchObject({
      status: "dead",
      last_status_code: 410,
    });

    // 1.2.0: the install is upgraded within its policy; the stream shows everything in order.
    await bed.publishVersion(cube.id, "1.2.0", "# Harbour rules\nTugs stand by whenever a tanker berths.\n");
    await bed.t.runner.idle();
    await expect.poll(() => stream.events.length, { timeout: 5000 }).toBeGreaterThanOrEqual(4);
    stream.close();
    expect(stream.events.map((e) => [e.event, e.data.data.version ?? e.data.data.change])).toEqual([
      ["version.published", "1.1.0"],
      ["install.updated", "installed"],
      ["version.published", "1.2.0"],
      ["install.updated", "upgraded"],
    ]);
    expect(stream.events[3]!.data.data).toMatchObject({
      previous_version: "1.1.0",
      install: { version: "1.2.0" },
    });
    const search = await bed.api("POST", `/api/v1/vaults/${vault.id}/search`, subscriberKey, {
      query: "tanker tugs",
    });
    expect(search.body.results[0]).toMatchObject({ cube: { version: "1.2.0" } });

    // A reconnecting client resumes after the last event it saw, without repeats.
    const resumed = followEvents(
      `${bed.server.url}/api/v1/vaults/${vault.id}/events`,
      subscriberKey,
      stream.events[1]!.id,
    );
    await resumed.opened;
    await expect.poll(() => resumed.events.length).toBe(2);
    resumed.close();
    expect(resumed.events.map((e) => e.id)).toEqual([stream.events[2]!.id, stream.events[3]!.id]);
  });

  it("guards subscriptions and streams like every other resource", async () => {
    const vault = (await bed.api("POST", "/api/v1/vaults", subscriberKey, { name: "guarded" })).body as {
      id: string;
    };
    const strangerStream = followEvents(`${bed.server.url}/api/v1/vaults/${vault.id}/events`, strangerKey);
    expect((await strangerStream.opened).status).toBe(404);
    const anonymous = await fetch(`${bed.server.url}/api/v1/vaults/${vault.id}/events`);
    expect(anonymous.status).toBe(401);

    const noDelivery = await bed.api("POST", "/api/v1/subscriptions", subscriberKey, {
      filter: { tags: ["x"] },
    });
    expect(noDelivery).toMatchObject({ status: 400, body: { code: "invalid_input" } });
    const ftp = await bed.api("POST", "/api/v1/subscriptions", subscriberKey, {
      delivery: { webhook_url: "ftp://example.com/hook" },
    });
    expect(ftp).toMatchObject({ status: 400, body: { code: "invalid_input" } });
    const othersVault = await bed.api("POST", "/api/v1/subscriptions", strangerKey, {
      delivery: { sse: true },
      auto_install: { vault_id: vault.id },
    });
    expect(othersVault).toMatchObject({ status: 404, body: { code: "not_found" } });
    const unknownListing = await bed.api("POST", "/api/v1/subscriptions", subscriberKey, {
      filter: { listing_id: "lst_missing" },
      delivery: { sse: true },
    });
    expect(unknownListing).toMatchObject({ status: 404, body: { code: "not_found" } });

    // Through the SDK: made, listed without its secret, ended once.
    const client = bed.client(subscriberKey);
    const made = await client.createEventSubscription({
      filter: { types: ["plaintext"] },
      delivery: { sse: true },
    });
    expect(made.secret).toMatch(/^whsec_/);
    expect((await client.listEventSubscriptions()).items.map((s) => s.id)).toContain(made.id);
    expect((await bed.api("DELETE", `/api/v1/subscriptions/${made.id}`, strangerKey)).status).toBe(404);
    await client.deleteEventSubscription(made.id);
    expect((await client.listEventSubscriptions()).items.map((s) => s.id)).not.toContain(made.id);
    await expect(client.deleteEventSubscription(made.id)).rejects.toMatchObject({ status: 404 });
  });
});
