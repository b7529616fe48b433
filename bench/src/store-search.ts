/**
 * bench:store's store-search part: 10,000 published listings (their words, a vocabulary of their
 * content and an embedding of title, description and tags, written straight into the tables), and
 * the store's search through the service: queries that find listings, queries nothing answers
 * (the relevance floor leaves everything out and the nearest tags are offered), and a found query
 * sorted by installs.
 */
import { searchListings } from "@memstore/api/store";
import type { AppContext } from "@memstore/api";
import type { Subject } from "@memstore/core";
import { sql, toVectorLiteral } from "@memstore/db";
import { summarise } from "./stats.ts";

export const STORE_LISTINGS = 10_000;
const QUERIES = 200;
const BATCH = 500;

/** Words the listings are about; each listing takes three, and its content holds twenty. */
const TOPICS = (
  "anchor ballast barometer beacon berth bollard buoy cargo chart compass container crane customs " +
  "dredge ferry freight galley gangway harbour hull invoice jetty keel ledger lighthouse manifest " +
  "mooring navigation pallet pilot port quay radar rudder salvage sextant shipyard sonar stevedore " +
  "tariff tide tonnage towage trawler tugboat warehouse wharf winch yacht audit budget clinic dosage " +
  "enzyme fracture glucose hormone insulin lesion mitosis neuron pathogen plasma protein retina " +
  "sepsis suture tendon thyroid vaccine"
).split(" ");
const TAGS = ["maritime", "logistics", "medicine", "finance", "legal", "safety", "training", "ports"];

/** A deterministic choice, so every run writes the same store. */
const pick = <T>(list: readonly T[], n: number) => list[n % list.length]!;

function listingText(i: number) {
  const topics = [pick(TOPICS, i), pick(TOPICS, i * 7 + 3), pick(TOPICS, i * 13 + 5)];
  const content = Array.from({ length: 20 }, (_, j) => pick(TOPICS, i * 31 + j * 17)).join(" ");
  return {
    title: `${topics[0]} and ${topics[1]} handbook ${i}`,
    description: `Procedures for ${topics.join(", ")}.`,
    tags: [pick(TAGS, i), pick(TAGS, i * 3 + 1)],
    content,
  };
}

export async function storeSearchFigures(ctx: AppContext, owner: Subject) {
  process.stderr.write(`store search: writing ${STORE_LISTINGS} listings\n`);
  await writeListings(ctx, owner);
  const found = Array.from(
    { length: QUERIES / 2 },
    (_, i) => `${pick(TOPICS, i * 5)} ${pick(TOPICS, i * 11 + 2)}`,
  );
  const nothing = Array.from({ length: QUERIES / 2 }, (_, i) => `sourdough starter hydration ${i}`);
  const timed = async (params: { q: string; sort?: "installs" }) => {
    const start = performance.now();
    const page = await searchListings(ctx, owner, { limit: 24, ...params });
    return { ms: performance.now() - start, items: page.items.length, suggested: page.suggested_tags ?? [] };
  };
  for (const q of found.slice(0, 10)) await timed({ q }); // warm-up
  const foundRuns = [];
  for (const q of found) foundRuns.push(await timed({ q }));
  const nothingRuns = [];
  for (const q of nothing) nothingRuns.push(await timed({ q }));
  const sortedRuns = [];
  for (const q of found) sortedRuns.push(await timed({ q, sort: "installs" }));
  return {
    listings: STORE_LISTINGS,
    found_ms: summarise(foundRuns.map((r) => r.ms)),
    found_mean_items: foundRuns.reduce((n, r) => n + r.items, 0) / foundRuns.length,
    nothing_ms: summarise(nothingRuns.map((r) => r.ms)),
    nothing_returned_items: nothingRuns.reduce((n, r) => n + r.items, 0),
    nothing_with_suggestions: nothingRuns.filter((r) => r.suggested.length > 0).length,
    sorted_by_installs_ms: summarise(sortedRuns.map((r) => r.ms)),
  };
}

/** The listings, with their cubes and vocabularies, in batches of one statement each. */
async function writeListings(ctx: AppContext, owner: Subject) {
  for (let start = 0; start < STORE_LISTINGS; start += BATCH) {
    const n = Math.min(BATCH, STORE_LISTINGS - start);
    const rows = Array.from({ length: n }, (_, k) => ({ i: start + k, ...listingText(start + k) }));
    const vectors = await ctx.embedder.embed(
      rows.map((r) => `${r.title}\n${r.description}\n${r.tags.join(" ")}`),
    );
    const col = <T>(f: (r: (typeof rows)[number], k: number) => T) => sql.param(rows.map(f));
    await ctx.db.execute(sql`
      with input as (
        select * from unnest(${col((r) => `cube_ss${r.i}`)}::text[], ${col((r) => `lst_ss${r.i}`)}::text[],
          ${col((r) => r.title)}::text[], ${col((r) => r.description)}::text[], ${col((r) => r.tags.join(","))}::text[],
          ${col((r) => r.content)}::text[], ${col((_, k) => toVectorLiteral(vectors[k]!))}::text[],
          ${col((r) => r.i)}::int[])
          as t(cube_id, listing_id, title, description, tags, content, embedding, idx)),
      cubes_in as (
        insert into cubes (id, org_id, slug, type, title, description, tags)
        select cube_id, ${owner.orgId}, replace(cube_id, '_', '-'), 'plaintext', title, description,
          string_to_array(tags, ',') from input),
      listings_in as (
        insert into listings (id, org_id, cube_id, visibility, status, pricing, search_text, embedding,
                              embedding_dim, published_at)
        select listing_id, ${owner.orgId}, cube_id, 'public', 'published', '{"model":"free"}'::jsonb,
          title || E'\\n' || description || E'\\n' || tags, embedding::vector, 384,
          now() - make_interval(secs => idx)
        from input)
      insert into listing_vocab (listing_id, vocab) select listing_id, strip(to_tsvector('english', content)) from input`);
  }
  await ctx.db.execute(sql`analyze`);
}
