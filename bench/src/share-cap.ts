/**
 * bench:store's share-cap part: a 100,000-chunk listing, one subscriber's vault holding it, and
 * - an exfiltration attempt: 10,000 distinct hybrid searches (top 10 each) under a cap of 10 %
 *   (10,000 chunks), counting the distinct chunks received as it goes: it must end at the cap;
 * - the cap's cost: each query against the same chunks uncapped and capped (window full), one
 *   after the other in alternating order, through two listings of the one version.
 */
import { authenticateApiKey, createOrganization } from "@memstore/api/identity";
import { createListing, publishListing } from "@memstore/api/listings";
import { searchVault } from "@memstore/api/search";
import { acquireListing } from "@memstore/api/store";
import { createVault, installListing } from "@memstore/api/vaults";
import type { AppContext } from "@memstore/api";
import type { Subject } from "@memstore/core";
import { queryRows, sql } from "@memstore/db";
import { insertCorpusVersion, loadChunks, vectorSource, WORDS } from "./search-corpus.ts";
import { summarise } from "./stats.ts";

export const SHARE_CHUNKS = 100_000;
const ATTEMPTS = 10_000;
const SHARE = 0.1;
const BLOCK = 200;
const ROUNDS = 3;

/** The queries the part sends, and their vectors (the runtime's embedder maps one to the other). */
export function shareQueries() {
  const vectors = vectorSource("latent")(ATTEMPTS + BLOCK, 11);
  const texts = vectors.map((_, i) => `share query ${i} ${WORDS[i % WORDS.length]}`);
  return { texts, vectors };
}

export async function shareCapFigures(
  ctx: AppContext,
  owner: Subject,
  texts: string[],
  runner: { idle(): Promise<void> },
) {
  const { subscriber, plainVault, cappedVault, cappedListing } = await setUp(ctx, owner, runner);
  const vacuum = new AutovacuumStandIn(ctx, Math.ceil(SHARE * SHARE_CHUNKS));
  const search = async (vaultId: string, text: string) => {
    const found = await searchVault(ctx, subscriber, vaultId, {
      query: text,
      top_k: 10,
      filter: {},
      mode: "hybrid",
    });
    // Each capped result served refreshes its receipt: one row version left behind.
    if (vaultId === cappedVault) vacuum.rowsUpdated(found.results.length);
    return found;
  };
  const timed = async (vaultId: string, text: string) => {
    await vacuum.runIfDue();
    const start = performance.now();
    await search(vaultId, text);
    return performance.now() - start;
  };
  for (const text of texts.slice(ATTEMPTS, ATTEMPTS + 50)) await timed(plainVault, text); // warm-up

  const received = new Set<string>();
  const curve: Array<{ searches: number; distinct_chunks: number }> = [];
  let cut = 0;
  for (const [i, text] of texts.slice(0, ATTEMPTS).entries()) {
    await vacuum.runIfDue();
    const { results, excluded } = await search(cappedVault, text);
    for (const r of results) received.add(r.id);
    if (excluded.some((e) => e.code === "share_cap")) cut++;
    if ((i + 1) % 1000 === 0) {
      curve.push({ searches: i + 1, distinct_chunks: received.size });
      process.stderr.write(`\r  exfiltration: ${i + 1} searches, ${received.size} distinct chunks`);
    }
  }
  process.stderr.write("\n");
  const [stored] = await queryRows<{ n: number }>(
    ctx.db,
    sql`select count(*)::int as n from share_receipts where listing_id = ${cappedListing}`,
  );

  // The same query against the same chunks, uncapped and capped (window full), one after the
  // other in alternating order: both see the same load.
  const uncapped: number[] = [];
  const capped: number[] = [];
  for (let round = 0; round < ROUNDS; round++)
    for (const [i, text] of texts.slice(ATTEMPTS).entries()) {
      if ((i + round) % 2 === 0) {
        uncapped.push(await timed(plainVault, text));
        capped.push(await timed(cappedVault, text));
      } else {
        capped.push(await timed(cappedVault, text));
        uncapped.push(await timed(plainVault, text));
      }
    }
  const plain = summarise(uncapped);
  const under = summarise(capped);
  const round3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    chunks: SHARE_CHUNKS,
    share: SHARE,
    cap: Math.ceil(SHARE * SHARE_CHUNKS),
    exfiltration: {
      searches: ATTEMPTS,
      distinct_chunks_received: received.size,
      receipts_stored: stored!.n,
      searches_cut_by_the_cap: cut,
      curve,
    },
    search_ms: { uncapped: plain, capped_window_full: under },
    receipts_vacuumed: vacuum.runs,
    overhead_p50_ms: round3(under.p50 - plain.p50),
    overhead_p95_ms: round3(under.p95 - plain.p95),
  };
}

/**
 * The tests' Postgres runs with autovacuum off, and each capped result served rewrites its receipt's
 * row (a new `received_at`): left alone, the dead row versions pile up under every claim's index
 * probes, as no production server would let them. This vacuums the receipts when autovacuum's
 * default threshold would (50 rows + 20 % of the table), outside any timed search.
 */
class AutovacuumStandIn {
  runs = 0;
  private dead = 0;

  constructor(
    private readonly ctx: AppContext,
    private readonly liveRows: number,
  ) {}

  rowsUpdated(n: number) {
    this.dead += n;
  }

  async runIfDue() {
    if (this.dead < 50 + 0.2 * this.liveRows) return;
    await this.ctx.db.execute(sql`vacuum share_receipts, share_windows`);
    this.dead = 0;
    this.runs++;
  }
}

/** The 100k-chunk cube, two listings of it (one capped), and a subscriber's vault holding each. */
async function setUp(ctx: AppContext, owner: Subject, runner: { idle(): Promise<void> }) {
  const cubeId = "cube_share";
  const versionId = "ver_share";
  await insertCorpusVersion(ctx, {
    cubeId,
    versionId,
    orgId: owner.orgId,
    slug: "share",
    title: "share",
    chunks: SHARE_CHUNKS,
  });
  process.stderr.write(`share cap: loading ${SHARE_CHUNKS} chunks\n`);
  await loadChunks(ctx, "bulk", cubeId, versionId, vectorSource("latent")(SHARE_CHUNKS, 5));
  // Its chunks keep the loader's names (chk_…): the evaluate part renames its own after loading.
  const made = await createOrganization(ctx, { name: "Exfiltrator", ownerEmail: "x@bench.example.com" });
  const subscriber = await authenticateApiKey(ctx, made.api_key);
  // Two listings of the one version, one capped: a vault holding each.
  const vaults: string[] = [];
  const listings: string[] = [];
  for (const terms of [{}, { max_share_per_day: SHARE }]) {
    const listing = await createListing(ctx, owner, {
      cube_id: cubeId,
      visibility: "public",
      pricing: { model: "free" },
      terms,
    });
    await publishListing(ctx, owner, listing.id);
    await acquireListing(ctx, subscriber, listing.id);
    const vault = await createVault(ctx, subscriber, { name: `vault-${listings.length}` });
    await installListing(ctx, subscriber, vault.id, { listing_id: listing.id, version_policy: "latest" });
    vaults.push(vault.id);
    listings.push(listing.id);
  }
  await runner.idle();
  await ctx.db.execute(sql`analyze`);
  return { subscriber, plainVault: vaults[0]!, cappedVault: vaults[1]!, cappedListing: listings[1]! };
}
