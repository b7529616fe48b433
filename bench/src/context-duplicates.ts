/**
 * bench:context's vaults: a pack listed, bought and installed as a buyer does; and the duplicate
 * test — a vault holding a pack, its republication under another name (300 passages copied exactly,
 * 300 lightly edited, 400 of its own) and 100 own memories that repeat the pack with a word or two
 * gone — where every passage's origin is known, so a repeat is counted by ground truth, not by the
 * detector being measured.
 */
import { createListing, publishListing } from "@memstore/api/listings";
import { createMemory } from "@memstore/api/memories";
import { acquireListing } from "@memstore/api/store";
import { createVault, installListing } from "@memstore/api/vaults";
import { sql } from "@memstore/db";
import { countTokens as o200k } from "gpt-tokenizer/encoding/o200k_base";
import { type Bench, context, contextPassages, questionsOf, search } from "./context-calls.ts";
import { loadPassages, type Passage } from "./context-corpus.ts";

/** A listing of these passages, bought by the bench's buyer; the chunk ids in order. */
async function listedPack(b: Bench, slug: string, corpus: readonly Passage[], origins?: number[]) {
  const at = { orgId: b.owner.orgId, cubeId: `cube_${slug}`, versionId: `ver_${slug}`, slug };
  await loadPassages(b.ctx, at, corpus, origins);
  const listing = await createListing(b.ctx, b.owner, {
    cube_id: at.cubeId,
    visibility: "public",
    pricing: { model: "free" },
  });
  await publishListing(b.ctx, b.owner, listing.id);
  await acquireListing(b.ctx, b.buyer, listing.id);
  return { listingId: listing.id, ids: corpus.map((_, i) => `${at.versionId}_${i}`) };
}

async function installInto(b: Bench, vaultId: string, listingId: string) {
  await installListing(b.ctx, b.buyer, vaultId, { listing_id: listingId, version_policy: "latest" });
}

/** A buyer's vault holding one pack of these passages. */
export async function holdingVault(b: Bench, slug: string, corpus: readonly Passage[]) {
  const { listingId, ids } = await listedPack(b, slug, corpus);
  const vault = await createVault(b.ctx, b.buyer, { name: slug });
  await installInto(b, vault.id, listingId);
  await b.runner.idle();
  await b.ctx.db.execute(sql`analyze`);
  return { vaultId: vault.id, ids };
}

const PLAIN = { disallowedSpecial: new Set<string>() };

/** A light edit: every fifteenth word gone. */
const edited = (text: string) =>
  text
    .split(" ")
    .filter((_, i) => i % 15 !== 14)
    .join(" ");

export async function duplicateFigures(b: Bench, passages: readonly Passage[]) {
  const base = passages.slice(0, 1000);
  const originOf = new Map<string, number>();
  const pack = await listedPack(b, "dup-pack", base);
  pack.ids.forEach((id, i) => originOf.set(id, i));
  const republished = [
    ...base.slice(0, 300),
    ...base.slice(300, 600).map((p) => ({ ...p, text: edited(p.text) })),
    ...passages.slice(1000, 1400),
  ];
  const republishedOrigins = republished.map((_, i) => (i < 600 ? i : 1000 + i));
  const copy = await listedPack(b, "dup-copy", republished, republishedOrigins);
  copy.ids.forEach((id, i) => originOf.set(id, republishedOrigins[i]!));
  const vault = await createVault(b.ctx, b.buyer, { name: "duplicates" });
  await installInto(b, vault.id, pack.listingId);
  await installInto(b, vault.id, copy.listingId);
  for (const [k, p] of base.slice(600, 700).entries()) {
    const memory = await createMemory(b.ctx, b.buyer, vault.id, {
      text: edited(p.text),
      tags: [],
      metadata: {},
    });
    originOf.set(memory.id, 600 + k);
  }
  await b.runner.idle();
  await b.ctx.db.execute(sql`analyze`);

  const questions = questionsOf(base.slice(0, 700), pack.ids, 200);
  const repeats = (ids: readonly string[]) =>
    ids.length - new Set(ids.map((id) => originOf.get(id) ?? id)).size;
  const tally = {
    search: { passages: 0, repeats: 0, tokens: 0, answered: 0 },
    context: { passages: 0, repeats: 0, tokens: 0, answered: 0 },
  };
  const answers = (ids: readonly string[], answer: string) =>
    ids.some((id) => originOf.get(id) === originOf.get(answer));
  for (const q of questions) {
    const found = await search(b, vault.id, q.query, 10);
    const searched = found.results.map((r) => r.id);
    tally.search.passages += searched.length;
    tally.search.repeats += repeats(searched);
    tally.search.tokens += o200k(found.results.map((r) => r.text).join("\n\n"), PLAIN);
    if (answers(searched, q.answer)) tally.search.answered++;
    const got = await context(b, vault.id, q.query, 2000);
    const given = await contextPassages(b.ctx, got.id);
    tally.context.passages += given.length;
    tally.context.repeats += repeats(given);
    tally.context.tokens += got.tokens;
    if (answers(given, q.answer)) tally.context.answered++;
  }
  const share = (t: (typeof tally)["search"]) => ({
    ...t,
    share_repeated: Math.round((t.repeats / t.passages) * 1000) / 1000,
    tokens_per_answered: Math.round(t.tokens / Math.max(1, t.answered)),
  });
  return {
    vault:
      "a pack (1,000 passages), its republication (300 exact, 300 edited, 400 new), 100 own memories repeating it",
    questions: questions.length,
    search_top10: share(tally.search),
    context_2000_tokens: share(tally.context),
  };
}
