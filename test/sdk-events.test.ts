import { MemStoreClient, type VaultEvent } from "@memstore/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHttpTestbed } from "./support/http-testbed.ts";
import { waitUntil } from "./support/wait.ts";

/**
 * The SDK's vault event stream: events arrive as they happen, and when the connection drops the
 * client reconnects with Last-Event-ID and gets what it missed — no gap, no repeat.
 */
let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let sub: Awaited<ReturnType<typeof bed.subscriber>>;
let second: string;

beforeAll(async () => {
  bed = await openHttpTestbed();
  const first = await bed.listedCube("berth-events", "# Berths\n\nBerth 1 is for ferries.\n");
  second = (await bed.listedCube("lock-events", "# Locks\n\nThe lock opens hourly.\n")).listing.id;
  sub = await bed.subscriber("Event Readers", first.listing.id);
  expect((await bed.api("POST", `/api/v1/store/listings/${second}/acquire`, sub.key)).status).toBe(201);
}, 120_000);
afterAll(async () => bed?.close());

/** A fetch whose first event-stream connection drops right after its first event. */
function droppingFetch(seen: Array<string | null>): typeof fetch {
  let dropped = false;
  return async (input, init) => {
    const response = await fetch(input, init);
    const url = input instanceof Request ? input.url : input.toString();
    if (!url.endsWith("/events")) return response;
    seen.push(new Headers(init?.headers).get("last-event-id"));
    if (dropped || !response.body) return response;
    dropped = true;
    const reader = response.body.getReader();
    let text = "";
    let cut = false;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (cut) return controller.error(new Error("connection reset"));
        const { value, done } = await reader.read();
        if (done) return controller.close();
        text += new TextDecoder().decode(value);
        controller.enqueue(value);
        if (/\nid: \d+\n/.test(`\n${text}`)) {
          cut = true;
          await reader.cancel();
        }
      },
    });
    return new Response(body, { status: response.status, headers: response.headers });
  };
}

describe("SDK vault events", () => {
  it("resumes after a dropped connection with Last-Event-ID, missing and repeating nothing", async () => {
    const seen: Array<string | null> = [];
    const client = new MemStoreClient({
      baseUrl: bed.server.url,
      apiKey: sub.key,
      fetch: droppingFetch(seen),
    });
    const stop = new AbortController();
    const events: VaultEvent[] = [];
    const reading = (async () => {
      for await (const event of client.events(sub.vault.id, { signal: stop.signal })) events.push(event);
    })();
    await waitUntil(async () => seen.length === 1, 10_000);
    await new Promise((r) => setTimeout(r, 200));

    const installed = await bed.api("POST", `/api/v1/vaults/${sub.vault.id}/installs`, sub.key, {
      listing_id: second,
    });
    expect(installed.status).toBe(201);
    await bed.t.runner.idle();
    await waitUntil(async () => events.length >= 1, 10_000);
    // The connection drops after that event; while it is down, another happens.
    await bed.api("DELETE", `/api/v1/vaults/${sub.vault.id}/installs/${installed.body.id}`, sub.key);
    await bed.t.runner.idle();
    await waitUntil(async () => events.length >= 3, 15_000);
    stop.abort();
    await reading;

    expect(seen).toHaveLength(2);
    expect(seen[0]).toBeNull();
    expect(seen[1]).toBe(events[0]!.id);
    // From the start (no Last-Event-ID): the earlier install, then the two made while reading.
    const changes = events.map((e) => (e.data as { data: { change: string; install: { id: string } } }).data);
    expect(changes.map((c) => c.change)).toEqual(["installed", "installed", "uninstalled"]);
    expect(changes[2]!.install.id).toBe(installed.body.id);
    expect(events.map((e) => Number(e.id))).toEqual([1, 2, 3].map((n) => Number(events[0]!.id) + n - 1));
  });
});
