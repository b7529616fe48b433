import { describe, expect, it } from "vitest";
import { chunkDocument } from "./chunker.ts";

describe("chunkDocument", () => {
  it("starts a new chunk at every heading and records the heading path", () => {
    const doc = "# Guide\n\nIntro text.\n\n## Setup\n\nInstall it.\n\n## Usage\n\nRun it.\n";
    const chunks = chunkDocument(doc);
    expect(chunks.map((c) => c.heading)).toEqual(["Guide", "Guide › Setup", "Guide › Usage"]);
    expect(chunks[1]!.text).toBe("## Setup\n\nInstall it.");
    expect(chunks.map((c) => c.position)).toEqual([0, 1, 2]);
  });

  it("keeps every chunk under the cap and overlaps consecutive chunks of a section", () => {
    const paragraphs = Array.from(
      { length: 30 },
      (_, i) => `Paragraph ${i} says something about topic ${i}.`,
    );
    const chunks = chunkDocument(paragraphs.join("\n\n"), { maxChars: 200, overlap: 40 });
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks) expect(c.text.length).toBeLessThanOrEqual(200);
    for (let i = 1; i < chunks.length; i++) {
      const previousTail = chunks[i - 1]!.text.slice(-20);
      expect(chunks[i]!.text).toContain(previousTail);
    }
    for (const p of paragraphs) expect(chunks.some((c) => c.text.includes(p))).toBe(true);
  });

  it("splits a single oversized paragraph at sentence boundaries", () => {
    const sentence = "This sentence is exactly about fifty characters. ";
    const chunks = chunkDocument(sentence.repeat(40), { maxChars: 300, overlap: 0 });
    expect(chunks.length).toBeGreaterThan(6);
    for (const c of chunks) {
      expect(c.text.length).toBeLessThanOrEqual(300);
      expect(c.text.endsWith(".")).toBe(true);
    }
  });

  it("folds a heading with no text of its own into its children's heading path", () => {
    const chunks = chunkDocument("# Book\n\n## One\n\nFirst.\n\n## Two\n\nSecond.");
    expect(chunks.map((c) => [c.heading, c.text])).toEqual([
      ["Book › One", "## One\n\nFirst."],
      ["Book › Two", "## Two\n\nSecond."],
    ]);
  });

  it("does not treat a '#' inside a fenced code block as a heading", () => {
    const doc = "# Title\n\n```sh\n# a comment\necho hi\n```\n\nAfter.";
    const chunks = chunkDocument(doc);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.text).toContain("# a comment");
  });

  it("returns nothing for a blank document", () => {
    expect(chunkDocument("  \n\n \n")).toEqual([]);
  });
});
