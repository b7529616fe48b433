import { createCube } from "@memstore/api/catalog";
import { MemStoreClient } from "@memstore/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf } from "./support/api-errors.ts";
import { openHttpTestbed } from "./support/http-testbed.ts";
import { webhookReceiver } from "./support/webhook-receiver.ts";

let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let publisher: MemStoreClient;

beforeAll(async () => {
  // The webhook receivers listen on 127.0.0.1, which webhooks may reach only when allowed.
  bed = await openHttpTestbed({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true" });
  publisher = bed.client();
});
afterAll(async () => {
  await bed?.close();
});

/** A published free listing of a fresh cube, sold on request. */
async function requestListing(slug: string) {
  const cube = await createCube(bed.t.ctx, bed.publisher, {
    slug,
    type: "plaintext",
    title: slug,
    description: "",
    tags: [],
  });
  await bed.publishVersion(cube.id, "1.0.0", `# ${slug}\nOnly for vetted buyers.\n`);
  const listing = await publisher.createListing({
    cube_id: cube.id,
    visibility: "public",
    pricing: { model: "free" },
    access: "request",
  });
  expect(listing.access).toBe("request");
  await publisher.publishListing(listing.id);
  return listing;
}

describe("a listing sold on request", () => {
  it("is acquired only after the publisher approves, with a private offer if it made one; both sides hear each step", async () => {
    const listing = await requestListing("vetted-sanctions");
    const buyerKey = await bed.organization("Vetted Bank", "owner@vetted-bank.example.com");
    const buyer = bed.client(buyerKey);
    const hooks = { buyer: await webhookReceiver(), publisher: await webhookReceiver() };
    const buyerSub = await buyer.createEventSubscription({
      filter: { tags: ["nothing"] },
      delivery: { webhook_url: hooks.buyer.url },
    });
    const publisherSub = await publisher.createEventSubscription({
      filter: { tags: ["nothing"] },
      delivery: { webhook_url: hooks.publisher.url },
    });

    expect(await codeOf(buyer.acquire(listing.id))).toBe("403 access_not_granted");
    const asked = await buyer.commerce.requestAccess(listing.id, {
      message: "We screen payments for EU sanctions.",
      purpose: "compliance",
    });
    expect(asked).toMatchObject({
      state: "pending",
      purpose: "compliance",
      listing: { id: listing.id, title: "vetted-sanctions" },
      organization: { name: "Vetted Bank" },
    });
    expect(await codeOf(buyer.commerce.requestAccess(listing.id, { message: "again" }))).toBe("409 conflict");
    expect((await publisher.commerce.incomingAccessRequests(listing.id)).items.map((r) => r.id)).toEqual([
      asked.id,
    ]);

    // Denied, with the reason the buyer then reads; still no acquire.
    const denied = await publisher.commerce.denyAccessRequest(asked.id, {
      reason: "Tell us which regulator.",
    });
    expect(denied).toMatchObject({ state: "denied", reason: "Tell us which regulator." });
    expect((await buyer.commerce.accessRequests()).items[0]).toMatchObject({ id: asked.id, state: "denied" });
    // One listing's requests alone, when the buyer names it (the portal's listing page asks so).
    const ofListing = await buyer.commerce.accessRequests({ listing_id: listing.id, limit: 1 });
    expect(ofListing.items.map((r) => r.id)).toEqual([asked.id]);
    expect((await buyer.commerce.accessRequests({ listing_id: "lst_other" })).items).toEqual([]);
    expect(await codeOf(publisher.commerce.approveAccessRequest(asked.id))).toBe("409 conflict");
    expect(await codeOf(buyer.acquire(listing.id))).toBe("403 access_not_granted");

    // Asked again and approved with a private offer: acquired under it.
    const again = await buyer.commerce.requestAccess(listing.id, { message: "Regulated by BaFin." });
    const approved = await publisher.commerce.approveAccessRequest(again.id, {
      offer: { pricing: { model: "free" }, terms: { calls_per_day: 500 } },
      reason: "Welcome.",
    });
    expect(approved).toMatchObject({ state: "approved", offer_id: expect.stringMatching(/^off_/) });
    const acquired = await buyer.acquire(listing.id, { offer_id: approved.offer_id! });
    expect(acquired).toMatchObject({ entitlement: { listing_id: listing.id, source: "offer" } });

    // Each step reached both organisations' webhooks.
    await bed.t.runner.idle();
    for (const hook of [hooks.buyer, hooks.publisher]) {
      const states = hook.received
        .map((r) => JSON.parse(r.body) as { type: string; data: { state: string } })
        .filter((e) => e.type === "access_request.updated")
        .map((e) => e.data.state);
      // Each event is delivered by its own job: they may arrive in any order.
      expect(states.sort()).toEqual(["approved", "denied", "pending", "pending"]);
    }
    // Gone before their endpoints close: later tests' events are no one's to retry here.
    await buyer.deleteEventSubscription(buyerSub.id);
    await publisher.deleteEventSubscription(publisherSub.id);
    await hooks.buyer.close();
    await hooks.publisher.close();
  });

  it("is answered by its publisher alone; an open listing needs no request", async () => {
    const listing = await requestListing("vetted-ports");
    const buyerKey = await bed.organization("Port Buyer", "owner@port-buyer.example.com");
    const buyer = bed.client(buyerKey);
    const stranger = new MemStoreClient({
      baseUrl: bed.server.url,
      apiKey: await bed.organization("Stranger Pub", "owner@stranger-pub.example.com"),
    });
    const asked = await buyer.commerce.requestAccess(listing.id, { message: "Port logistics." });
    expect(await codeOf(stranger.commerce.approveAccessRequest(asked.id))).toBe("404 not_found");
    expect(await codeOf(stranger.commerce.incomingAccessRequests(listing.id))).toBe("404 not_found");
    expect(await codeOf(buyer.commerce.approveAccessRequest(asked.id))).toBe("404 not_found");
    expect(
      await codeOf(publisher.commerce.denyAccessRequest(asked.id, { offer: { pricing: { model: "free" } } })),
    ).toBe("400 invalid_input");
    const bad = await bed.api("POST", `/api/v1/store/listings/${listing.id}/access-requests`, buyerKey, {
      message: "x".repeat(2_001),
    });
    expect([bad.status, bad.body.code]).toEqual([400, "invalid_input"]);

    // Approved without an offer: acquired at the listing's own price.
    await publisher.commerce.approveAccessRequest(asked.id);
    expect(await buyer.acquire(listing.id)).toMatchObject({ entitlement: { source: "free" } });

    const { listing: open } = await bed.listedCube("open-charts", "# Charts\nOpen to all.\n");
    expect(await codeOf(buyer.commerce.requestAccess(open.id, { message: "please" }))).toBe("409 conflict");
  });
});
