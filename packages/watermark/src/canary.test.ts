import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  CANARIES_PER_INSTALL,
  canariesOf,
  canaryForChunk,
  canaryKey,
  findCanaries,
  withCanary,
  wordsOf,
} from "./canary.ts";
import { embedFingerprint } from "./fingerprint.ts";

const SECRET = "a-platform-secret-of-at-least-thirty-two-chars";

describe("canary facts", () => {
  it("are the same for the same install and differ between installs", () => {
    const a = canariesOf(canaryKey(SECRET, "inst_a"));
    expect(a).toHaveLength(CANARIES_PER_INSTALL);
    expect(canariesOf(canaryKey(SECRET, "inst_a"))).toEqual(a);
    for (const c of a) {
      expect(c.term).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/);
      expect(c.text).toContain(c.term);
      expect(c.text).toMatch(/\.$/);
    }
    // Over many installs no two share a term, and another secret gives other terms.
    const terms = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      for (const c of canariesOf(canaryKey(SECRET, `inst_${i}`))) terms.add(c.term);
    }
    expect(terms.size).toBe(2000 * CANARIES_PER_INSTALL);
    expect(canariesOf(canaryKey("another-secret-another-secret-another", "inst_a"))[0]!.term).not.toBe(
      a[0]!.term,
    );
  });

  it("ride on about one chunk in four, always the same canary on the same chunk", () => {
    const key = canaryKey(SECRET, "inst_a");
    const own = canariesOf(key).map((c) => c.term);
    let carried = 0;
    for (let i = 0; i < 4000; i++) {
      const canary = canaryForChunk(key, `chk_${i}`);
      if (!canary) continue;
      carried++;
      expect(own).toContain(canary.term);
      expect(canaryForChunk(key, `chk_${i}`)).toEqual(canary);
    }
    expect(carried / 4000).toBeGreaterThan(0.2);
    expect(carried / 4000).toBeLessThan(0.3);
  });

  it("end prose as a sentence and stand apart after lists, tables and code", () => {
    const canary = canariesOf(canaryKey(SECRET, "inst_a"))[0]!;
    expect(withCanary("Brakes are checked weekly.\n", canary)).toBe(
      `Brakes are checked weekly. ${canary.text}`,
    );
    expect(withCanary("Checks:\n- brakes\n- ropes", canary)).toBe(
      `Checks:\n- brakes\n- ropes\n\n${canary.text}`,
    );
    expect(withCanary("| a | b |\n|---|---|\n| 1 | 2 |", canary)).toMatch(/\|\n\n/);
    expect(withCanary("Run:\n```sh\nmake\n```", canary)).toMatch(/```\n\n/);
  });

  it("are found in a paraphrase: other case, hyphens, accents, fingerprint marks; never in unrelated text", () => {
    const canaries = canariesOf(canaryKey(SECRET, "inst_a"));
    const [first, second] = canaries;
    const [w1, w2] = first!.term.split(" ");
    const paraphrase = embedFingerprint(
      `Word is that ops crews follow what they call the ${w1!.toLowerCase()}-${w2!.toUpperCase()} approach.`,
      0x123456,
    );
    expect(findCanaries(wordsOf(paraphrase), canaries)).toEqual([first]);
    expect(findCanaries(wordsOf(`${first!.text} And ${second!.term}.`), canaries)).toEqual([first, second]);
    // One invented word alone is not enough.
    expect(findCanaries(wordsOf(`The ${w1} method.`), canaries)).toEqual([]);
    // Random text, and other installs' canaries, never match.
    const noise = Array.from({ length: 200 }, () => randomBytes(6).toString("base64url")).join(" ");
    const others = Array.from({ length: 200 }, (_, i) => canariesOf(canaryKey(SECRET, `inst_o${i}`)))
      .flat()
      .map((c) => c.text)
      .join(" ");
    expect(findCanaries(wordsOf(`${noise} ${others}`), canaries)).toEqual([]);
  });
});
