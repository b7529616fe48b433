import { authenticateApiKey } from "@memstore/api/identity";
import { MemStoreApiError, type MemStoreClient } from "@memstore/sdk";
import { fingerprintCode, matchFingerprint, readFingerprints, stripMarks } from "@memstore/watermark";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeOf } from "./support/api-errors.ts";
import { openHttpTestbed } from "./support/http-testbed.ts";

let bed: Awaited<ReturnType<typeof openHttpTestbed>>;
let publisher: MemStoreClient;

beforeAll(async () => {
  bed = await openHttpTestbed();
  publisher = bed.client();
});
afterAll(async () => {
  await bed?.close();
});

const HANDBOOK = [
  "# Harbour handbook",
  "## Cranes\n\nStorm cranes are lashed once the wind reaches 40 knots, and the crane driver logs the time and the gust.",
  "## Tides\n\nSpring tides reach 6.2 metres at the north quay; the tide board is read at each change of watch.",
  "## Bunkering\n\nBunkering stops while lightning is within ten kilometres of the terminal.",
].join("\n\n");

async function buyer(name: string) {
  const key = await bed.organization(name, `owner@${name.toLowerCase().replace(/\W+/g, "-")}.example.com`);
  return Object.assign(bed.client(key), { key });
}

describe("try before you buy", () => {
  it("answers a buyer's questions with the section and a snippet fingerprinted to the buyer, or says the pack has no answer", async () => {
    const { cube, listing } = await bed.listedCube("harbour-try", HANDBOOK);
    await publisher.updateListing(listing.id, { marks: "dense" });
    const quay = await buyer("Quay Tryers");
    const tried = await quay.commerce.tryListing(listing.id, {
      questions: [
        "At what wind speed are storm cranes lashed?",
        "What is the harbour master's telephone number?",
      ],
    });
    expect(tried).toMatchObject({ version: "1.0.0", questions_left_today: 18 });
    const [cranes, phone] = tried.answers;
    expect(cranes).toMatchObject({ answered: true, section: expect.stringContaining("Cranes") });
    expect(cranes!.snippet!.length).toBeLessThanOrEqual(160);
    expect(stripMarks(cranes!.snippet!)).toContain("40 knots");
    expect(phone).toEqual({ question: "What is the harbour master's telephone number?", answered: false });

    // The snippet's marks are the asking organisation's code for that version, not another's.
    const versionId = (await publisher.getVersion(cube.id, "1.0.0")).id;
    const quayOrg = (await authenticateApiKey(bed.t.ctx, quay.key)).orgId;
    const otherOrg = bed.publisher.orgId;
    const reading = readFingerprints(cranes!.snippet!);
    const secret = bed.t.ctx.keys.secret;
    const mine = matchFingerprint(reading, fingerprintCode(secret, quayOrg, versionId));
    const theirs = matchFingerprint(reading, fingerprintCode(secret, otherOrg, versionId));
    expect(mine.marks).toBeGreaterThan(3);
    expect(mine.agreeing).toBe(mine.marks);
    expect(theirs.agreeing).toBeLessThan(theirs.marks);
  });

  it("allows 20 questions per organisation, listing and UTC day, exactly under concurrency; another organisation has its own", async () => {
    const { listing } = await bed.listedCube("harbour-rate", HANDBOOK);
    const eager = await buyer("Eager Tryers");
    const outcomes = await Promise.all(
      Array.from({ length: 25 }, () =>
        codeOf(eager.commerce.tryListing(listing.id, { questions: ["When does bunkering stop?"] })),
      ),
    );
    expect(outcomes.filter((o) => o === "succeeded")).toHaveLength(20);
    expect(outcomes.filter((o) => o === "429 preview_rate")).toHaveLength(5);
    const refused = await eager.commerce
      .tryListing(listing.id, { questions: ["again?"] })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(MemStoreApiError);
    const retryAfter = Number((refused as MemStoreApiError).problem.retry_after);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(86_400);

    // Another organisation asks its own questions; a request of 5 with 2 left is refused whole.
    const calm = await buyer("Calm Tryers");
    const many = Array.from({ length: 18 }, (_, i) => `question ${i}?`);
    expect((await calm.commerce.tryListing(listing.id, { questions: many })).questions_left_today).toBe(2);
    expect(await codeOf(calm.commerce.tryListing(listing.id, { questions: many.slice(0, 5) }))).toBe(
      "429 preview_rate",
    );
    expect(
      (await calm.commerce.tryListing(listing.id, { questions: ["one?", "two?"] })).answers,
    ).toHaveLength(2);

    // The publisher sees today's previews in Sales: 38 questions, from 2 organisations.
    const today = new Date().toISOString().slice(0, 10);
    const sales = await publisher.commerce.sales({ from: today, to: today });
    const row = sales.items.find((r) => r.listing_id === listing.id)!;
    expect(row.previews).toMatchObject({ questions: 40, organizations: 2 });
    expect(row.previews.answered).toBeGreaterThanOrEqual(20);
  });

  it("is refused where the publisher turned it off, for bad questions (which use none of the day's), and for a listing that is not there", async () => {
    const { listing } = await bed.listedCube("harbour-closed", HANDBOOK);
    const nosy = await buyer("Nosy Tryers");
    await publisher.updateListing(listing.id, { preview: false });
    expect((await nosy.getListing(listing.id)).preview).toBe(false);
    expect(await codeOf(nosy.commerce.tryListing(listing.id, { questions: ["cranes?"] }))).toBe(
      "403 preview_off",
    );
    await publisher.updateListing(listing.id, { preview: true });
    for (const questions of [[], Array.from({ length: 21 }, () => "why?"), ["a\u0000b"], ["x".repeat(501)]]) {
      expect(await codeOf(nosy.commerce.tryListing(listing.id, { questions }))).toBe("400 invalid_input");
    }
    // None of those used the day's questions.
    const tried = await nosy.commerce.tryListing(listing.id, { questions: ["cranes?"] });
    expect(tried.questions_left_today).toBe(19);
    expect(await codeOf(nosy.commerce.tryListing("lst_nowhere", { questions: ["cranes?"] }))).toBe(
      "404 not_found",
    );
  });
});
