import { KEYWORD_CANDIDATES } from "@memstore/api/internal";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openHttpTestbed } from "./support/http-testbed.ts";
import { stripMarks } from "@memstore/watermark";

let bed: Awaited<ReturnType<typeof openHttpTestbed>>;

beforeAll(async () => {
  bed = await openHttpTestbed();
});

afterAll(async () => {
  await bed?.close();
});

describe("keyword side of vault search on a broad query", () => {
  it("finds the one section holding every word even when more sections than it ranks hold one word", async () => {
    const common = KEYWORD_CANDIDATES + 200;
    const markdown = [
      "# Storm log",
      ...Array.from(
        { length: common },
        (_, i) => `## Entry ${i}\nA storm passed over the bay on day ${i}.\n`,
      ),
      "## Entry last\nThe storm bent the harbour crane.\n",
    ].join("\n");
    const { listing } = await bed.listedCube("storm-log", markdown);
    const key = await bed.organization("Port Authority", "ops@port.example.com");
    const vault = (await bed.api("POST", "/api/v1/vaults", key, { name: "port" })).body as { id: string };
    await bed.api("POST", `/api/v1/store/listings/${listing.id}/acquire`, key);
    await bed.api("POST", `/api/v1/vaults/${vault.id}/installs`, key, { listing_id: listing.id });

    const search = (query: string) =>
      bed.api("POST", `/api/v1/vaults/${vault.id}/search`, key, { query, mode: "keyword", top_k: 5 });
    const both = await search("storm crane");
    expect(stripMarks(both.body.results[0].text)).toContain("harbour crane");
    expect(both.body.results).toHaveLength(5);
    // No section holds both words: documents holding either one are still found.
    const either = await search("crane lighthouse");
    expect(either.body.results.map((r: { text: string }) => stripMarks(r.text))).toEqual([
      expect.stringContaining("harbour crane"),
    ]);
  });
});
