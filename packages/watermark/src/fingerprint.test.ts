import { describe, expect, it } from "vitest";
import { embedFingerprint, fingerprintCode, readFingerprints, stripMarks } from "./fingerprint.ts";

const WORDS = (
  "the of and to in is was for on that with as by at from an be this which or are it not have had " +
  "quarterly revenue compliance retention policy customer onboarding model latency cache adapter " +
  "review process engineer budget forecast audit training dataset pipeline release migration schema"
).split(" ");

function seeded(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

/** Prose-like text: sentences of random words, paragraphs split by blank lines. */
function prose(words: number, rand: () => number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    let w = WORDS[Math.floor(rand() * WORDS.length)]!;
    if (i % 12 === 0) w = w[0]!.toUpperCase() + w.slice(1);
    out.push(w + (i % 12 === 11 ? (i % 48 === 47 ? ".\n\n" : ". ") : " "));
  }
  return out.join("").trimEnd();
}

describe("text fingerprints", () => {
  const secret = Buffer.alloc(32, 7);
  const code = fingerprintCode(secret, "org_a", "ver_1");
  const other = fingerprintCode(secret, "org_b", "ver_1");

  it("derives a 24-bit code per organisation and version from the secret", () => {
    expect(code).toBeGreaterThanOrEqual(0);
    expect(code).toBeLessThan(2 ** 24);
    expect(fingerprintCode(secret, "org_a", "ver_1")).toBe(code);
    expect(other).not.toBe(code);
    expect(fingerprintCode(secret, "org_a", "ver_2")).not.toBe(code);
    expect(fingerprintCode(Buffer.alloc(32, 8), "org_a", "ver_1")).not.toBe(code);
  });

  it("leaves the visible text as it was", () => {
    const text = prose(200, seeded(1));
    const marked = embedFingerprint(text, code);
    expect(marked).not.toBe(text);
    expect(stripMarks(marked)).toBe(text);
    expect(readFingerprints(marked).codes[0]).toMatchObject({ code, corrected: 0 });
  });

  it("decodes the code from 200-character excerpts at random positions (≥ 99 % of 1,000)", () => {
    const rand = seeded(42);
    const marked = embedFingerprint(prose(3000, rand), code);
    let hits = 0;
    let wrong = 0;
    for (let trial = 0; trial < 1000; trial++) {
      const start = Math.floor(rand() * (marked.length - 200));
      const reading = readFingerprints(marked.slice(start, start + 200));
      if (reading.codes[0]?.code === code) hits++;
      if (reading.codes.some((c) => c.code !== code)) wrong++;
    }
    expect(hits / 1000).toBeGreaterThanOrEqual(0.99);
    expect(wrong).toBe(0);
  });

  it("survives changed whitespace and line breaks", () => {
    const marked = embedFingerprint(prose(400, seeded(3)), code);
    const reflowed = marked.replace(/\s+/g, " ").replace(/(.{60,70}) /g, "$1\r\n");
    expect(readFingerprints(reflowed).codes[0]?.code).toBe(code);
    const tabs = marked.replace(/ /g, "\t  ");
    expect(readFingerprints(tabs).codes[0]?.code).toBe(code);
  });

  it("finds every copy in a text that mixes excerpts of several", () => {
    const rand = seeded(5);
    const a = embedFingerprint(prose(300, rand), code);
    const b = embedFingerprint(prose(300, rand), other);
    const mixed = `${a.slice(100, 400)}\n\n${b.slice(500, 800)}\n${a.slice(1000, 1250)}`;
    const found = readFingerprints(mixed).codes.map((c) => c.code);
    expect(found).toContain(code);
    expect(found).toContain(other);
  });

  it("says plainly when a text carries no code", () => {
    const text = prose(300, seeded(9));
    expect(readFingerprints(text)).toEqual({ marked: false, frames: 0, codes: [] });
    expect(readFingerprints(stripMarks(embedFingerprint(text, code)))).toEqual({
      marked: false,
      frames: 0,
      codes: [],
    });
  });

  it("replaces an earlier copy's marks instead of stacking a second code", () => {
    const text = prose(300, seeded(10));
    const twice = embedFingerprint(embedFingerprint(text, other), code);
    expect(readFingerprints(twice).codes.map((c) => c.code)).toEqual([code]);
  });

  it("reads a frame with a few damaged marks and rejects random marks", () => {
    const marked = embedFingerprint(prose(200, seeded(12)), code);
    // Drop one nibble's pair of marks: the frame is read with one symbol corrected.
    const damaged = marked.replace(/(?:\u200b|\u200c|\u200d|\u2062){2}(?=\s)/, "\u200b");
    const reading = readFingerprints(damaged);
    expect(reading.codes[0]?.code).toBe(code);
    const rand = seeded(14);
    const noise = prose(200, seeded(13)).replace(/ /g, () => (rand() < 0.5 ? "\u200b\u200c " : "\u2060 "));
    expect(readFingerprints(noise).codes.filter((c) => c.frames > 1)).toEqual([]);
  });
});

describe("what marking leaves alone", () => {
  const code = fingerprintCode("secret", "org", "ver");

  it("keeps Markdown syntax and code as they were", () => {
    const md = [
      "## Setup",
      "",
      "- Install the package with `npm install memstore-client` first.",
      "",
      "```sh",
      "export MEMSTORE_KEY=msk_example",
      "npx memstore search vault_1 espresso",
      "```",
      "",
      "| rate | country |",
      "| ---- | ------- |",
      "| 20 % | France |",
    ].join("\n");
    const marked = embedFingerprint(md, code);
    expect(marked).toMatch(/^## Setup/);
    expect(marked).toContain("`npm install memstore-client`");
    expect(marked).toContain(
      "```sh\nexport MEMSTORE_KEY=msk_example\nnpx memstore search vault_1 espresso\n```",
    );
    expect(marked.split("\n").map((l) => l.slice(0, 2))).toEqual(md.split("\n").map((l) => l.slice(0, 2)));
    expect(stripMarks(marked)).toBe(md);
  });
});

describe("short texts", () => {
  const code = fingerprintCode("secret", "org", "ver");

  it.each(["The standard VAT rate in France is 20 percent.", "Refunds within 30 days.", "Paris"])(
    "carry the whole code: %s",
    (text) => {
      const marked = embedFingerprint(text, code);
      expect(stripMarks(marked)).toBe(text);
      expect(readFingerprints(marked).codes[0]?.code).toBe(code);
    },
  );
});
