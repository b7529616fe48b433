import { describe, expect, it } from "vitest";
import {
  embedFingerprint,
  fingerprintCode,
  type MarkDensity,
  MARKS,
  matchFingerprint,
  readFingerprints,
  stripMarks,
} from "./fingerprint.ts";

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

/** Whether a text names `code` among `others` as a trace would: it agrees best, and not by chance. */
function names(text: string, code: number, others: number[]): boolean {
  const reading = readFingerprints(text);
  const right = matchFingerprint(reading, code);
  const copies = others.length + 1;
  return (
    others.every((o) => matchFingerprint(reading, o).agreeing < right.agreeing) &&
    1 - Math.min(1, right.chance * copies) >= 0.99
  );
}

/** The share of random excerpts of a length, of a marked text, that name its copy among 1,000. */
function traceRate(marked: string, code: number, length: number, trials: number, rand: () => number) {
  const others = Array.from({ length: 999 }, () => Math.floor(rand() * 2 ** 24)).filter((c) => c !== code);
  let named = 0;
  for (let t = 0; t < trials; t++) {
    const start = Math.floor(rand() * (marked.length - length));
    if (names(marked.slice(start, start + length), code, others)) named++;
  }
  return named / trials;
}

/** The marks a text carries (every one, repeats included). */
const markCount = (text: string) => text.length - stripMarks(text).length;

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

  it.each<MarkDensity>(["light", "dense"])("leaves the visible text as it was (%s)", (density) => {
    const text = prose(200, seeded(1));
    const marked = embedFingerprint(text, code, density);
    expect(marked).not.toBe(text);
    expect(stripMarks(marked)).toBe(text);
    expect(embedFingerprint(text, code, density)).toBe(marked); // the same bytes every time
    const match = matchFingerprint(readFingerprints(marked), code);
    expect(match.marks).toBeGreaterThan(0);
    expect(match.agreeing).toBe(match.marks);
    expect(matchFingerprint(readFingerprints(marked), other).agreeing).toBeLessThan(match.marks);
  });

  it("marks every word end densely, one in eight lightly, none when off", () => {
    const text = prose(800, seeded(2));
    const dense = markCount(embedFingerprint(text, code, "dense"));
    const light = markCount(embedFingerprint(text, code, "light"));
    expect(dense).toBe(text.match(/\p{L}(?=\s|$)/gu)!.length);
    expect(light).toBeGreaterThan(dense / 10);
    expect(light).toBeLessThan(dense / 7);
    expect(embedFingerprint(text, code, "off")).toBe(text);
    expect(embedFingerprint(embedFingerprint(text, code, "dense"), code, "off")).toBe(text);
  });

  it("names the copy from 200-character excerpts when dense, from 1,000 when light (≥ 99 % of 300, among 1,000 copies)", () => {
    const rand = seeded(42);
    const text = prose(3000, rand);
    expect(traceRate(embedFingerprint(text, code, "dense"), code, 200, 300, rand)).toBeGreaterThanOrEqual(
      0.99,
    );
    expect(traceRate(embedFingerprint(text, code, "light"), code, 1000, 300, rand)).toBeGreaterThanOrEqual(
      0.99,
    );
  });

  it("survives changed whitespace, line breaks and case", () => {
    const marked = embedFingerprint(prose(400, seeded(3)), code, "light");
    const marks = matchFingerprint(readFingerprints(marked), code).marks;
    for (const changed of [
      marked.replace(/\s+/g, " ").replace(/(.{60,70}) /g, "$1\r\n"),
      marked.replace(/ /g, "\t  "),
      marked.toUpperCase(),
    ]) {
      expect(matchFingerprint(readFingerprints(changed), code)).toMatchObject({ marks, agreeing: marks });
    }
  });

  it("finds every copy in a text that mixes excerpts of several", () => {
    const rand = seeded(5);
    const a = embedFingerprint(prose(600, rand), code, "dense");
    const b = embedFingerprint(prose(600, rand), other, "dense");
    const mixed = `${a.slice(100, 900)}\n\n${b.slice(500, 1300)}\n${a.slice(2000, 2500)}`;
    const others = Array.from({ length: 100 }, (_, i) => fingerprintCode(secret, `org_${i}`, "ver_1"));
    const reading = readFingerprints(mixed);
    const significant = [code, other, ...others].filter((c) => matchFingerprint(reading, c).chance < 1e-4);
    expect(significant.sort()).toEqual([code, other].sort());
  });

  it("says plainly when a text carries no marks", () => {
    const text = prose(300, seeded(9));
    expect(readFingerprints(text)).toEqual({ marked: false, marks: [] });
    expect(readFingerprints(stripMarks(embedFingerprint(text, code, "dense")))).toEqual({
      marked: false,
      marks: [],
    });
    expect(matchFingerprint(readFingerprints(text), code)).toEqual({ marks: 0, agreeing: 0, chance: 1 });
  });

  it("replaces an earlier copy's marks instead of stacking a second code", () => {
    const text = prose(300, seeded(10));
    const twice = embedFingerprint(embedFingerprint(text, other, "dense"), code, "light");
    expect(twice).toBe(embedFingerprint(text, code, "light"));
  });

  it("weighs damaged marks and finds nobody in random ones", () => {
    const marked = embedFingerprint(prose(200, seeded(12)), code, "dense");
    // A tenth of the marks turned into another: the copy still agrees far beyond chance.
    let n = 0;
    const damaged = marked.replace(/\u200b|\u200c|\ufe0f|\u200e/g, (m) =>
      n++ % 10 === 0 ? (m === "\u200b" ? "\u200c" : "\u200b") : m,
    );
    const match = matchFingerprint(readFingerprints(damaged), code);
    expect(match.agreeing).toBeLessThan(match.marks);
    expect(match.chance).toBeLessThan(1e-20);
    const rand = seeded(14);
    const noise = prose(200, seeded(13)).replace(/(?<=[a-z]) /g, () => MARKS[Math.floor(rand() * 4)] + " ");
    const reading = readFingerprints(noise);
    expect(reading.marks.length).toBeGreaterThan(100);
    for (const c of [code, other]) expect(matchFingerprint(reading, c).chance).toBeGreaterThan(1e-3);
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
    const marked = embedFingerprint(md, code, "dense");
    expect(marked).toMatch(/^## Setup/);
    expect(marked).toContain("`npm install memstore-client`");
    expect(marked).toContain(
      "```sh\nexport MEMSTORE_KEY=msk_example\nnpx memstore search vault_1 espresso\n```",
    );
    expect(marked.split("\n").map((l) => l.slice(0, 2))).toEqual(md.split("\n").map((l) => l.slice(0, 2)));
    expect(stripMarks(marked)).toBe(md);
  });

  it("keeps the publisher's own invisible characters: an emoji's VS16, Thai word breaks", () => {
    const text =
      "I \u2764\ufe0f espresso. \u0e20\u0e32\u0e29\u0e32\u200b\u0e44\u0e17\u0e22 is Thai text here";
    expect(stripMarks(text)).toBe(text);
    expect(stripMarks(embedFingerprint(text, code, "dense"))).toBe(text);
  });

  it("puts no left-to-right mark after a right-to-left word", () => {
    const arabic = "معدل ضريبة القيمة المضافة في فرنسا هو عشرون بالمائة للسلع والخدمات ".repeat(20);
    const marked = embedFingerprint(arabic, code, "dense");
    expect(marked).not.toContain("\u200e");
    const match = matchFingerprint(readFingerprints(marked), code);
    expect(match.marks).toBeGreaterThan(5);
    expect(match.agreeing).toBe(match.marks);
  });
});

describe("short texts", () => {
  const code = fingerprintCode("secret", "org", "ver");

  it.each(["The standard VAT rate in France is 20 percent.", "Refunds within 30 days.", "Paris"])(
    "carry at least one mark, in agreement with the code: %s",
    (text) => {
      const marked = embedFingerprint(text, code, "light");
      expect(stripMarks(marked)).toBe(text);
      const match = matchFingerprint(readFingerprints(marked), code);
      expect(match.marks).toBeGreaterThanOrEqual(1);
      expect(match.agreeing).toBe(match.marks);
    },
  );
});
