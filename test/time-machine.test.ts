import { type MemStoreClient } from "@memstore/sdk";
import { stripMarks } from "@memstore/watermark";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHttpTestbed } from "./support/http-testbed.ts";
import { sleep } from "./support/wait.ts";

let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let owner: MemStoreClient;
let listingId: string;
const VERSIONS = ["1.0.0", "1.1.0", "2.0.0"];

beforeAll(async () => {
  bed = await openHttpTestbed();
  owner = bed.client();
  // Each version's one chunk carries a token of its own; every text here carries "tidemark".
  const versionText = (v: string) => `# Tides\nTidemark tokinst${v.replace(/\./g, "")} holds.\n`;
  const { cube, listing } = await bed.listedCube("tide-machine", versionText("1.0.0"));
  for (const v of VERSIONS.slice(1)) await bed.publishVersion(cube.id, v, versionText(v));
  listingId = listing.id;
});
afterAll(async () => {
  await bed?.close();
});

/** What a search shows, as the tokens of each result (one result may carry several: a merge). */
const tokensOf = (texts: string[]) =>
  texts
    .map((t) =>
      [...stripMarks(t).matchAll(/tok\w+/g)]
        .map((m) => m[0])
        .sort()
        .join("+"),
    )
    .sort();

async function searchTokens(vault: string, asOf?: string) {
  const { results } = await owner.search(vault, {
    query: "tidemark",
    top_k: 100,
    mode: "keyword",
    ...(asOf && { as_of: asOf }),
  });
  return tokensOf(results.map((r) => r.text));
}

type Op =
  | { kind: "create" }
  | { kind: "update"; pick: number }
  | { kind: "archive"; pick: number }
  | { kind: "restore"; pick: number }
  | { kind: "merge"; pick: number; other: number }
  | { kind: "move"; to: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.constant({ kind: "create" as const }),
  fc.record({ kind: fc.constant("update" as const), pick: fc.nat(20) }),
  fc.record({ kind: fc.constant("archive" as const), pick: fc.nat(20) }),
  fc.record({ kind: fc.constant("restore" as const), pick: fc.nat(20) }),
  fc.record({ kind: fc.constant("merge" as const), pick: fc.nat(20), other: fc.nat(20) }),
  fc.record({ kind: fc.constant("move" as const), to: fc.nat(VERSIONS.length - 1) }),
);

/** The model: what the vault shows, replayed from the operations alone. */
type Model = {
  memories: Array<{ id: string; tokens: string[]; active: boolean }>;
  held: string;
  heldBefore: Set<string>;
};

const visible = (m: Model) =>
  [
    ...m.memories.filter((x) => x.active).map((x) => [...x.tokens].sort().join("+")),
    `tokinst${m.held.replace(/\./g, "")}`,
  ].sort();

/** Applies one operation to the vault and the model alike (an operation the model refuses is skipped). */
async function apply(vault: string, installId: string, model: Model, o: Op, n: number) {
  const active = model.memories.filter((x) => x.active);
  const pickFrom = <T>(list: T[], i: number) => (list.length ? list[i % list.length] : undefined);
  if (o.kind === "create") {
    const token = `tokm${n}`;
    const made = await owner.createMemory(vault, { text: `Tidemark ${token}.` });
    model.memories.push({ id: made.id, tokens: [token], active: true });
  } else if (o.kind === "update") {
    const m = pickFrom(active, o.pick);
    if (!m) return;
    const token = `toku${n}`;
    await owner.updateMemory(vault, m.id, { text: `Tidemark ${token}.` });
    m.tokens = [token];
  } else if (o.kind === "archive") {
    const m = pickFrom(active, o.pick);
    if (!m) return;
    await owner.archiveMemory(vault, m.id);
    m.active = false;
  } else if (o.kind === "restore") {
    const m = pickFrom(
      model.memories.filter((x) => !x.active),
      o.pick,
    );
    if (!m) return;
    await owner.restoreMemory(vault, m.id);
    m.active = true;
  } else if (o.kind === "merge") {
    const a = pickFrom(active, o.pick);
    const b = pickFrom(active, o.other);
    if (!a || !b || a === b) return;
    const merged = await owner.mergeMemories(vault, { memory_ids: [a.id, b.id] });
    a.active = false;
    b.active = false;
    model.memories.push({ id: merged.id, tokens: [...a.tokens, ...b.tokens], active: true });
  } else {
    const to = VERSIONS[o.to]!;
    if (to === model.held) return;
    const newer = VERSIONS.indexOf(to) > VERSIONS.indexOf(model.held);
    if (!newer && !model.heldBefore.has(to)) return;
    if (newer) await owner.upgradeInstall(vault, installId, { version: to });
    else await owner.rollbackInstall(vault, installId, { version: to });
    model.held = to;
    model.heldBefore.add(to);
  }
}

describe("the time machine", () => {
  it("answers as_of with the vault as a replay of its history shows it at that instant", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 3, maxLength: 10 }), async (ops) => {
        run += 1;
        const vault = (await owner.createVault({ name: `machine-${run}-${Date.now()}` })).id;
        const install = await owner.install(vault, { listing_id: listingId, version_policy: "1.0.0" });
        const model: Model = { memories: [], held: "1.0.0", heldBefore: new Set(["1.0.0"]) };
        const snapshots: Array<{ at: string; shows: string[] }> = [];
        await sleep(5);
        snapshots.push({ at: new Date().toISOString(), shows: visible(model) });
        for (const [i, o] of ops.entries()) {
          await apply(vault, install.id, model, o, run * 100 + i);
          await sleep(5);
          snapshots.push({ at: new Date().toISOString(), shows: visible(model) });
          await sleep(5);
        }
        for (const { at, shows } of snapshots) expect(await searchTokens(vault, at), at).toEqual(shows);
        // Now is the last snapshot, and as_of now agrees with the plain search.
        expect(await searchTokens(vault)).toEqual(snapshots.at(-1)!.shows);
      }),
      { numRuns: 12, seed: 32 },
    );
  });

  it("shows nothing made after the instant, and nothing a buyer has lost the right to since", async () => {
    const before = new Date().toISOString();
    const { listing } = await bed.listedCube("lapsed-charts", "# Charts\nTidemark tokcharts.\n");
    const buyer = await bed.subscriber("Lapsed Buyer", listing.id);
    const client = bed.client(buyer.key);
    await client.createMemory(buyer.vault.id, { text: "Tidemark tokown." });
    await sleep(5);
    const then = new Date().toISOString();
    await sleep(5);
    expect(
      tokensOf(
        (await client.search(buyer.vault.id, { query: "tidemark", as_of: before })).results.map(
          (r) => r.text,
        ),
      ),
    ).toEqual([]);
    expect(
      tokensOf(
        (await client.search(buyer.vault.id, { query: "tidemark", as_of: then })).results.map((r) => r.text),
      ),
    ).toEqual(["tokcharts", "tokown"]);

    // The publisher revokes the buyer's entitlement: the past no longer shows the listing's content.
    const holder = (await owner.commerce.holders(listing.id)).items[0]!;
    await owner.commerce.revoke(holder.id, { reason: "terms breached" });
    expect(
      tokensOf(
        (await client.search(buyer.vault.id, { query: "tidemark", as_of: then })).results.map((r) => r.text),
      ),
    ).toEqual(["tokown"]);

    const future = new Date(Date.now() + 3_600_000).toISOString();
    await expect(client.search(buyer.vault.id, { query: "tidemark", as_of: future })).rejects.toMatchObject({
      status: 400,
      code: "invalid_input",
    });
  });

  it("rolls back to search results identical, byte for byte, to those before the upgrade", async () => {
    const vault = (await owner.createVault({ name: `byte-for-byte-${Date.now()}` })).id;
    const install = await owner.install(vault, { listing_id: listingId, version_policy: "1.0.0" });
    const before = await owner.search(vault, { query: "tidemark holds", top_k: 5 });
    await owner.upgradeInstall(vault, install.id, { version: "2.0.0" });
    expect(await owner.search(vault, { query: "tidemark holds", top_k: 5 })).not.toEqual(before);
    await owner.rollbackInstall(vault, install.id);
    expect(await owner.search(vault, { query: "tidemark holds", top_k: 5 })).toEqual(before);
  });
});
