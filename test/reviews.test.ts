import { entitlements } from "@memstore/db";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHttpTestbed } from "./support/http-testbed.ts";

/** Reviews: who may write one, one per organisation and listing, the publisher's reply, reports, ratings. */

let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let listingId: string;

beforeAll(async () => {
  bed = await openHttpTestbed();
  const { listing } = await bed.listedCube(
    "tide-atlas",
    "# Tides\n\n## Brest\nHigh water at Brest follows the moon by six hours.\n\n## Saint-Malo\nThe range at Saint-Malo reaches thirteen metres.\n",
  );
  listingId = listing.id;
}, 120_000);

afterAll(async () => {
  await bed?.close();
});

const review = (key: string, body: unknown) =>
  bed.api("POST", `/api/v1/store/listings/${listingId}/reviews`, key, body);
const reviews = (key: string) => bed.apiOk(key, "GET", `/api/v1/store/listings/${listingId}/reviews`);
const rating = async (key: string) =>
  (await bed.apiOk(key, "GET", `/api/v1/store/listings/${listingId}`)).rating as {
    average: number | null;
    count: number;
  };

/** Moves the organisation's entitlement to the listing 8 days into the past: held for a week. */
async function heldAWeek(key: string) {
  const held = (await bed.apiOk(key, "GET", "/api/v1/entitlements")).items as Array<{ id: string }>;
  for (const e of held)
    await bed.t.ctx.db
      .update(entitlements)
      .set({ validFrom: sql`now() - interval '8 days'` })
      .where(eq(entitlements.id, e.id));
}

describe("reviews", () => {
  let sailors: Awaited<ReturnType<typeof bed.subscriber>>;
  let firstId: string;

  it("lets an organisation review only once it held the listing a week or called it 100 times", async () => {
    sailors = await bed.subscriber("Sailors Guild", listingId);
    const early = await review(sailors.key, { rating: 4, title: "Handy", body: "Good tide notes." });
    expect(early.status).toBe(403);
    expect(early.body).toMatchObject({ code: "review_not_eligible", held_days: 0, calls: 0 });
    expect(await rating(sailors.key)).toEqual({ average: null, count: 0 });

    // A hundred agent calls make it eligible before the week is out.
    for (let i = 0; i < 100; i++) await sailors.search(i % 2 ? "Brest high water" : "Saint-Malo range");
    const written = await review(sailors.key, { rating: 4, title: "Handy", body: "Good tide notes." });
    expect(written.status).toBe(201);
    expect(written.body).toMatchObject({
      listing_id: listingId,
      rating: 4,
      title: "Handy",
      body: "Good tide notes.",
      organization: { name: "Sailors Guild" },
      verified_holder: true,
      mine: true,
      reply: null,
    });
    firstId = written.body.id;
    expect(await rating(sailors.key)).toEqual({ average: 4, count: 1 });
  });

  it("keeps one review per organisation: posting again edits it and moves the rating", async () => {
    const edited = await review(sailors.key, { rating: 2, title: "Thin", body: "Only two ports." });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ id: firstId, rating: 2, title: "Thin" });
    expect(await rating(sailors.key)).toEqual({ average: 2, count: 1 });

    const pilots = await bed.subscriber("Harbour Pilots", listingId);
    await heldAWeek(pilots.key);
    expect(
      (await review(pilots.key, { rating: 5, title: "Exact", body: "Matches our tables." })).status,
    ).toBe(201);
    expect(await rating(pilots.key)).toEqual({ average: 3.5, count: 2 });
    // The store's cards carry the same figures.
    const cards = (await bed.apiOk(pilots.key, "GET", "/api/v1/store/listings?q=tides")).items as Array<{
      id: string;
      rating: unknown;
    }>;
    expect(cards.find((c) => c.id === listingId)?.rating).toEqual({ average: 3.5, count: 2 });
    const listed = await reviews(pilots.key);
    expect(listed.items.map((r: { title: string }) => r.title)).toEqual(["Exact", "Thin"]);
  });

  it("takes the publisher's one reply, and refuses anyone else's", async () => {
    const stranger = await bed.organization("Stranger Reply", "owner@stranger-reply.example.com");
    const notTheirs = await bed.api("POST", `/api/v1/reviews/${firstId}/reply`, stranger, { body: "Hm." });
    expect(notTheirs.status).toBe(403);

    const replied = await bed.api("POST", `/api/v1/reviews/${firstId}/reply`, bed.publisherKey, {
      body: "Version 1.1 adds Cherbourg and Le Havre.",
    });
    expect(replied.status).toBe(200);
    expect(replied.body.reply).toMatchObject({ body: "Version 1.1 adds Cherbourg and Le Havre." });
    const again = await bed.api("POST", `/api/v1/reviews/${firstId}/reply`, bed.publisherKey, {
      body: "Also…",
    });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("already_replied");
    const shown = (await reviews(sailors.key)).items.find((r: { id: string }) => r.id === firstId);
    expect(shown.reply.body).toBe("Version 1.1 adds Cherbourg and Le Havre.");
  });

  it("takes anyone's report once per organisation, counted for the publisher and the reviewer only", async () => {
    const watcher = await bed.organization("Watchers", "owner@watchers.example.com");
    for (const reason of ["Advertising.", "Advertising for a rival pack."]) {
      const reported = await bed.api("POST", `/api/v1/reviews/${firstId}/report`, watcher, { reason });
      expect(reported.status).toBe(201);
      expect(reported.body).toMatchObject({ review_id: firstId, reason });
    }
    const seenBy = async (key: string) =>
      (await reviews(key)).items.find((r: { id: string }) => r.id === firstId) as { reports?: number };
    expect((await seenBy(bed.publisherKey)).reports).toBe(1);
    expect((await seenBy(sailors.key)).reports).toBe(1);
    expect((await seenBy(watcher)).reports).toBeUndefined();
    expect(await seenBy(watcher)).toMatchObject({ mine: false });
  });

  it("refuses the publisher's own review, and bad input with a clear error", async () => {
    const own = await review(bed.publisherKey, { rating: 5, title: "Best", body: "Ours." });
    expect(own.status).toBe(403);
    expect(own.body.code).toBe("review_not_eligible");
    for (const bad of [
      { rating: 0, title: "t", body: "b" },
      { rating: 6, title: "t", body: "b" },
      { rating: 4.5, title: "t", body: "b" },
      { rating: "5", title: "t", body: "b" },
      { rating: 5, title: " ", body: "b" },
      { rating: 5, title: "t", body: "b".repeat(5001) },
      { rating: 5, title: "t".repeat(121), body: "b" },
      { rating: 5, title: "t", body: "b", stars: 5 },
    ]) {
      const answer = await review(sailors.key, bad);
      expect(answer.status, JSON.stringify(bad).slice(0, 80)).toBe(400);
      expect(answer.body.code).toBe("invalid_input");
    }
    expect(
      (await bed.api("POST", `/api/v1/reviews/rev_nope/report`, sailors.key, { reason: "x" })).status,
    ).toBe(404);
    // Nothing bad was written: the rating is what the two reviews make.
    expect(await rating(sailors.key)).toEqual({ average: 3.5, count: 2 });
  });
});
