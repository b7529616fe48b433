import { createCube, submitNewVersion } from "@memstore/api/catalog";
import { authenticateApiKey } from "@memstore/api/identity";
import { createListing, publishListing } from "@memstore/api/listings";
import { queryRows, sql } from "@memstore/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHttpTestbed } from "./support/http-testbed.ts";

/** The store's search: a relevance floor, suggestions when nothing fits, sorts and filters. */

let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let buyer: string;
const ids: Record<string, string> = {};

const CUSTOMS =
  "# Customs checklist\n\n## Export declarations\nEvery container needs an export declaration and a commercial invoice before it is loaded.\n\n## Tariff codes\nEach good is classified under its harmonised tariff code.\n";
const TIDES =
  "# Tide tables\n\n## Brest\nHigh water at Brest follows the moon by about six hours.\n\n## Neap and spring\nSpring tides come with the new and the full moon.\n";

/** A long handbook whose rare word sits past everything the listing's sample of its text holds. */
function longHandbook(): string {
  const sections = Array.from(
    { length: 70 },
    (_, i) =>
      `## Section ${i + 1}\n\nRope teams crossing a glacier keep ${i + 3} metres apart, probe for hidden crevasses and check every anchor twice before moving on.\n`,
  );
  return `# Glacier rescue\n\n${sections.join("\n")}\n## Knots\n\nThe zephyrine knot holds a stretcher on steep ice.\n`;
}

/** A listing published by another organisation, through the same services. */
async function otherPublisherListing(slug: string, markdown: string, tags: string[]) {
  const key = await bed.organization("Second Publisher", "owner@second-publisher.example.com");
  const owner = await authenticateApiKey(bed.t.ctx, key);
  const cube = await createCube(bed.t.ctx, owner, {
    slug,
    type: "plaintext",
    title: slug,
    description: "",
    tags,
  });
  await submitNewVersion(bed.t.ctx, owner, cube.id, {
    version: "1.0.0",
    manifest: {},
    payload: markdown,
    contentType: "text/markdown",
  });
  await bed.t.runner.idle();
  const listing = await createListing(bed.t.ctx, owner, {
    cube_id: cube.id,
    visibility: "public",
    pricing: { model: "free" },
  });
  await publishListing(bed.t.ctx, owner, listing.id);
  return listing.id;
}

const search = (params: Record<string, string>) =>
  bed.api("GET", `/api/v1/store/listings?${new URLSearchParams(params)}`, buyer);
const found = async (params: Record<string, string>) => {
  const answer = await search(params);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body as { items: Array<{ id: string }>; suggested_tags?: string[] };
};

beforeAll(async () => {
  bed = await openHttpTestbed();
  buyer = await bed.organization("Store Browser", "owner@store-browser.example.com");
  ids.customs = (
    await bed.listedCube("customs-checklist", CUSTOMS, { tags: ["customs", "logistics"] })
  ).listing.id;
  ids.tides = (await bed.listedCube("tide-tables", TIDES, { tags: ["sailing", "tides"] })).listing.id;
  ids.glacier = (
    await bed.listedCube("glacier-rescue", longHandbook(), { tags: ["rescue", "alpine"] })
  ).listing.id;
  ids.second = await otherPublisherListing(
    "harbour-pilots",
    "# Pilots\n\n## Boarding\nThe pilot boards at buoy 5.\n",
    ["sailing"],
  );
}, 180_000);

afterAll(async () => {
  await bed?.close();
});

describe("store search", () => {
  it("returns nothing for a query nothing answers, and offers the tags nearest it", async () => {
    for (const q of ["sourdough starter hydration", "how to knit a sweater"]) {
      const answer = await found({ q });
      expect(answer.items, q).toEqual([]);
      expect(answer.suggested_tags!.length, q).toBeGreaterThan(0);
      expect(answer.suggested_tags!.every((t) => typeof t === "string")).toBe(true);
    }
    // A query that finds something has nothing to suggest.
    expect((await found({ q: "export declaration" })).suggested_tags).toBeUndefined();
  });

  it("finds a listing by its words, by any word of its content, and by meaning above the floor", async () => {
    expect((await found({ q: "export declaration invoice" })).items.map((l) => l.id)).toEqual([ids.customs]);
    // The word sits past the listing's own sample of its text: the vocabulary of the version finds it.
    expect((await found({ q: "zephyrine" })).items.map((l) => l.id)).toEqual([ids.glacier]);
    expect((await found({ q: "spring tides at Brest" })).items.map((l) => l.id)[0]).toBe(ids.tides);
    // A new version's words find the listing once it is published.
    expect((await found({ q: "cherbourg" })).items).toEqual([]);
    const [tides] = await queryRows<{ cube_id: string }>(
      bed.t.ctx.db,
      sql`select cube_id from listings where id = ${ids.tides!}`,
    );
    await bed.publishVersion(
      tides!.cube_id,
      "1.1.0",
      `${TIDES}\n## Cherbourg\nThe tidal stream off Cherbourg runs at five knots.\n`,
    );
    expect((await found({ q: "cherbourg" })).items.map((l) => l.id)).toEqual([ids.tides]);
  });

  it("sorts by installs, rating and date, and filters by publisher and rating", async () => {
    // Two organisations install the tides, one the customs checklist; the customs one is rated 5, the tides 3.
    const holders = [
      await bed.subscriber("Tide Holder One", ids.tides!),
      await bed.subscriber("Tide Holder Two", ids.tides!),
    ];
    const customsHolder = await bed.subscriber("Customs Holder", ids.customs!);
    await bed.t.ctx.db.execute(sql`update entitlements set valid_from = now() - interval '8 days'`);
    const rate = (key: string, listing: string, rating: number) =>
      bed.apiOk(key, "POST", `/api/v1/store/listings/${listing}/reviews`, { rating, title: "t", body: "b" });
    await rate(holders[0]!.key, ids.tides!, 3);
    await rate(customsHolder.key, ids.customs!, 5);

    const order = async (params: Record<string, string>) => (await found(params)).items.map((l) => l.id);
    expect((await order({ sort: "installs" })).slice(0, 2)).toEqual([ids.tides, ids.customs]);
    expect((await order({ sort: "rating" })).slice(0, 2)).toEqual([ids.customs, ids.tides]);
    expect((await order({ sort: "newest" }))[0]).toBe(ids.second);
    expect(await order({ min_rating: "4" })).toEqual([ids.customs]);
    expect(new Set(await order({ min_rating: "3" }))).toEqual(new Set([ids.customs, ids.tides]));
    expect(await order({ publisher: "second-publisher" })).toEqual([ids.second]);
    // A query narrows first, then the sort orders what it found.
    expect(await order({ q: "sailing tides pilot boards", sort: "installs" })).not.toContain(ids.customs);
  });

  it("refuses a sort, a rating or a publisher it does not know, with the field named", async () => {
    const bad: Array<Record<string, string>> = [
      { sort: "price" },
      { min_rating: "6" },
      { min_rating: "0" },
      { min_rating: "x" },
      { publisher: "Not A Slug!" },
    ];
    for (const params of bad) {
      const answer = await search(params);
      expect(answer.status, JSON.stringify(params)).toBe(400);
      expect(answer.body.code).toBe("invalid_input");
    }
    // A publisher with no listings finds nothing.
    expect((await found({ publisher: "nobody-at-all" })).items).toEqual([]);
  });

  it("publishes a listing of a version with a vast vocabulary, found by its words, past URLs and code", async () => {
    const { cube } = await bed.listedCube(
      "word-hoard",
      "# Hoard\n\nThe quartermaster keeps a hoard of words.\n",
    );
    // Sixty thousand distinct words of 30 letters and a thousand of 120: far past what a tsvector holds.
    const letters = (n: number, width: number) => {
      let word = "";
      for (let x = n; word.length < width; x = Math.floor(x / 26) + 7)
        word += String.fromCharCode(97 + (x % 26));
      return word;
    };
    const words = Array.from({ length: 60_000 }, (_, i) => `${letters(i, 6)}${"q".repeat(24)}`);
    const long = Array.from({ length: 1000 }, (_, i) => letters(i, 120));
    await bed.t.ctx.db.execute(sql`
      insert into chunks (id, version_id, cube_id, position, text)
      select 'hoard_' || n, v.id, v.cube_id, 100 + n, t
      from cube_versions v, unnest(${sql.param(
        [...words, ...long].reduce<string[]>((chunks, w, i) => {
          if (i % 500 === 0) chunks.push("");
          chunks[chunks.length - 1] += ` ${w}`;
          return chunks;
        }, []),
      )}::text[]) with ordinality as c(t, n)
      where v.cube_id = ${cube.id}`);
    const listing = await bed.apiOk(bed.publisherKey, "POST", "/api/v1/listings", {
      cube_id: cube.id,
      visibility: "public",
      pricing: { model: "free" },
    });
    const published = await bed.api("POST", `/api/v1/listings/${listing.id}/publish`, bed.publisherKey);
    expect(published.status, JSON.stringify(published.body)).toBe(200);
    const [vocabulary] = await queryRows<{ words: number; longest: number }>(
      bed.t.ctx.db,
      sql`select length(vocab) as words, (select max(octet_length(w)) from unnest(tsvector_to_array(vocab)) w) as longest
          from listing_vocab where listing_id = ${listing.id}`,
    );
    expect(vocabulary!.words).toBe(25_000);
    expect(vocabulary!.longest).toBeLessThanOrEqual(32);
    expect((await found({ q: "quartermaster" })).items.map((l) => l.id)).toContain(listing.id);
  });
});
