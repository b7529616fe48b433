import { createCube } from "@memstore/api/catalog";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { queryRows, sql } from "@memstore/db";
import { type EvalQuestion, type MemStoreApiError, MemStoreClient } from "@memstore/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf } from "./support/api-errors.ts";
import { openHttpTestbed } from "./support/http-testbed.ts";
import { runMemstore } from "./support/processes.ts";

let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let publisher: MemStoreClient;

beforeAll(async () => {
  bed = await openHttpTestbed();
  publisher = bed.client();
});
afterAll(async () => {
  await bed?.close();
});

/** Sections a harbour pilot would look things up in, among many that say nothing in particular. */
const FACTS = {
  Cranes: "Storm cranes are lashed once the wind reaches 40 knots.",
  Tides: "Spring tides reach 6.2 metres at the north quay.",
  Pilots: "Pilot boarding is at the Fairway buoy, two miles out.",
  Bunkering: "Bunkering stops while lightning is within ten kilometres.",
};

function handbook(sections: Record<string, string>) {
  const filler = Array.from(
    { length: 30 },
    (_, i) =>
      `## Notice ${i + 1}\n\nThe harbour office keeps notice ${i + 1} on file; berths are assigned by the duty officer and logged each shift.\n`,
  );
  const facts = Object.entries(sections).map(([title, text]) => `## ${title}\n\n${text}\n`);
  return `# Harbour handbook\n\n${[...filler, ...facts].join("\n")}`;
}

const QUESTIONS: EvalQuestion[] = [
  { question: "At what wind are storm cranes lashed?", expect: { contains: "40 knots" } },
  { question: "How high do spring tides reach at the north quay?", expect: { contains: "6.2 metres" } },
  { question: "Where does pilot boarding happen?", expect: { section: "Pilots" } },
  { question: "When does bunkering stop for lightning?", expect: { contains: "lightning" } },
  // Nothing in the pack says this: a right answer is nowhere.
  { question: "What is the harbour master's telephone number?", expect: { contains: "+44 20 7946" } },
];

/** A cube whose 1.0.0 carries the questions (holding later versions that lose more than `maxDrop`). */
async function evaluatedCube(slug: string, maxDrop?: number) {
  const cube = await createCube(bed.t.ctx, bed.publisher, { slug, type: "plaintext", title: slug, tags: [] });
  await publisher.createVersion(cube.id, { version: "1.0.0" });
  await publisher.uploadPayload(cube.id, "1.0.0", handbook(FACTS), "text/markdown");
  expect(
    await publisher.putEvalSet(
      cube.id,
      "1.0.0",
      QUESTIONS,
      maxDrop === undefined ? {} : { max_recall_drop: maxDrop },
    ),
  ).toEqual({ questions: 5, max_recall_drop: maxDrop ?? null });
  await publisher.submitVersion(cube.id, "1.0.0");
  await bed.t.runner.idle();
  return cube;
}

describe("a version's measured quality", () => {
  it("answers the publisher's questions by search over the version: recall@5, MRR@10, answered, each question's rank", async () => {
    const cube = await evaluatedCube("harbour-measured");
    const v1 = await publisher.getVersion(cube.id, "1.0.0");
    expect(v1.status).toBe("ready");
    const e = v1.evaluation!;
    expect(e).toMatchObject({ questions: 5, answered: 4, recall_at_5: 0.8 });
    expect(e.by_question!.map((q) => q.rank === null)).toEqual([false, false, false, false, true]);
    expect(e.by_question![2]!.section).toContain("Pilots");
    // MRR@10 is the mean of 1 / rank, an unanswered question counting 0.
    const mrr = e.by_question!.reduce((sum, q) => sum + (q.rank ? 1 / q.rank : 0), 0) / 5;
    expect(e.mrr_at_10).toBeCloseTo(mrr, 4);
    expect(e.previous).toBeUndefined();

    // Buyers see the totals, never the questions one by one (in the figures or the run's report).
    const listing = await bed.freeListing(cube.id);
    const buyer = new MemStoreClient({
      baseUrl: bed.server.url,
      apiKey: await bed.organization("Quay Buyers", "owner@quay-buyers.example.com"),
    });
    const seen = await buyer.getListing(listing.id);
    const version = seen.versions[0]!;
    expect(version.evaluation).toEqual({
      questions: 5,
      recall_at_5: 0.8,
      mrr_at_10: e.mrr_at_10,
      answered: 4,
    });
    expect(JSON.stringify(version.runs)).not.toContain("harbour master");
  });

  it("holds a version whose recall fell by more than allowed until the publisher releases it; auto-updates wait for that", async () => {
    const cube = await evaluatedCube("harbour-held", 0.2);
    const listing = await bed.freeListing(cube.id);
    const crew = await bed.subscriber("Held Crew", listing.id);
    const client = bed.client(crew.key);
    await client.createEventSubscription({
      filter: { listing_id: listing.id },
      delivery: { sse: true },
      auto_install: { vault_id: crew.vault.id, version_policy: "latest" },
    });

    // 1.1.0 drops two of the answers: the same questions (inherited) answer 2 of 5, recall 0.8 → 0.4.
    const { Tides: _tides, Pilots: _pilots, ...fewer } = FACTS;
    await bed.publishVersion(cube.id, "1.1.0", handbook(fewer));
    const v2 = await publisher.getVersion(cube.id, "1.1.0");
    expect(v2.status).toBe("ready");
    expect(v2.evaluation).toMatchObject({
      questions: 5,
      answered: 2,
      recall_at_5: 0.4,
      inherited_from: "1.0.0",
      previous: { version: "1.0.0", questions: 5, recall_at_5: 0.8, answered: 4 },
    });
    expect(v2.held?.reason).toBe("recall@5 fell from 0.8 (v1.0.0) to 0.4, more than the 0.2 allowed");

    // Held: no auto-update, no offer, not in the store, and not installable by name.
    const installs = await client.listInstalls(crew.vault.id);
    expect(installs.items[0]).toMatchObject({ version: "1.0.0", update_available: null });
    const seen = await client.getListing(listing.id);
    expect(seen.latest_version).toBe("1.0.0");
    expect(seen.versions.map((v) => v.version)).toEqual(["1.0.0"]);
    expect(await codeOf(client.upgradeInstall(crew.vault.id, crew.installId, { version: "1.1.0" }))).toBe(
      "409 version_held",
    );

    // Released: announced now, and the auto-update moves the install.
    const released = await publisher.releaseVersion(cube.id, "1.1.0");
    expect(released.held).toBeNull();
    await bed.t.runner.idle();
    expect((await client.listInstalls(crew.vault.id)).items[0]).toMatchObject({ version: "1.1.0" });
    expect((await client.getListing(listing.id)).latest_version).toBe("1.1.0");
    expect(await codeOf(publisher.releaseVersion(cube.id, "1.1.0"))).toBe("409 conflict");
  });

  it("refuses a set it cannot use, naming the line, and writes nothing", async () => {
    const cube = await createCube(bed.t.ctx, bed.publisher, {
      slug: "harbour-bad",
      type: "plaintext",
      title: "x",
      tags: [],
    });
    await publisher.createVersion(cube.id, { version: "1.0.0" });
    const put = (body: string, query: { max_recall_drop?: number } = {}) =>
      codeOf(publisher.putEvalSet(cube.id, "1.0.0", body, query));
    expect(await put("")).toBe("400 invalid_input");
    expect(await put('{"question":"a","expect":{"contains":"b"}}\nnot json\n')).toBe("400 invalid_input");
    expect(await put('{"question":"a","expect":{"near":"b"}}\n')).toBe("400 invalid_input");
    expect(await put('{"question":"a\\u0000","expect":{"contains":"b"}}\n')).toBe("400 invalid_input");
    expect(await put(`${"[".repeat(5000)}\n`)).toBe("400 invalid_input");
    expect(await put('{"question":"a","expect":{"contains":"b"}}\n'.repeat(501))).toBe("400 invalid_input");
    expect(await put('{"question":"a","expect":{"contains":"b"}}\n', { max_recall_drop: 2 })).toBe(
      "400 invalid_input",
    );
    const named = await publisher
      .putEvalSet(cube.id, "1.0.0", '{"question":"a","expect":{"contains":"b"}}\n{"question":""}\n')
      .catch((error: MemStoreApiError) => error.problem.detail);
    expect(named).toMatch(/^line 2: /);
    // Nothing was attached by any of those.
    expect((await publisher.getVersion(cube.id, "1.0.0")).evaluation).toBeNull();
    const attached = await queryRows<{ n: number }>(
      bed.t.ctx.db,
      sql`select count(*)::int as n from version_evals e join cube_versions v on v.id = e.version_id
          where v.cube_id = ${cube.id}`,
    );
    expect(attached).toEqual([{ n: 0 }]);

    // A submitted version is immutable.
    await bed.publishVersion(cube.id, "1.1.0", "# Quay\nThe quay is long.\n");
    expect(await codeOf(publisher.putEvalSet(cube.id, "1.1.0", QUESTIONS))).toBe("409 version_not_draft");
  });

  it("is measured from the command line: memstore publish --eval prints the figures", async () => {
    const dir = await mkdtemp(join(tmpdir(), "memstore-eval-"));
    await writeFile(join(dir, "handbook.md"), handbook(FACTS));
    await writeFile(join(dir, "questions.jsonl"), QUESTIONS.map((q) => JSON.stringify(q)).join("\n"));
    const env = { MEMSTORE_API_KEY: bed.publisherKey, MEMSTORE_URL: bed.server.url };
    const published = await runMemstore(
      ["publish", join(dir, "handbook.md"), "--cube", "harbour-cli", "--version", "1.0.0"].concat([
        "--eval",
        join(dir, "questions.jsonl"),
        "--max-recall-drop",
        "0.1",
      ]),
      env,
    );
    expect(published.code, published.stderr).toBe(0);
    expect(published.stderr).toContain("evaluation set: 5 questions");
    expect(published.stderr).toMatch(/evaluation: recall@5 0\.8, MRR@10 [\d.]+, 4\/5 answered/);
    expect(JSON.parse(published.stdout)).toMatchObject({
      status: "ready",
      evaluation: { questions: 5, recall_at_5: 0.8, answered: 4 },
      held: null,
    });
    const bad = await runMemstore(
      ["publish", join(dir, "handbook.md"), "--cube", "harbour-cli", "--version", "1.1.0"].concat([
        "--eval",
        join(dir, "questions.jsonl"),
        "--max-recall-drop",
        "7",
      ]),
      env,
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("--max-recall-drop takes a number from 0 to 1");
  });
});
