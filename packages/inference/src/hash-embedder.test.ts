import { describe, expect, it } from "vitest";
import { cosine } from "./embedder.ts";
import { HashEmbedder } from "./hash-embedder.ts";

describe("HashEmbedder", () => {
  const e = new HashEmbedder(384);

  it("is deterministic and unit length", () => {
    const a = e.embedOne("Value added tax in France");
    expect(a).toEqual(e.embedOne("Value added tax in France"));
    expect(cosine(a, a)).toBeCloseTo(1, 5);
  });

  it("puts texts that share words and stems closer than unrelated texts", () => {
    const query = e.embedOne("french VAT rates");
    const related = e.embedOne("The standard VAT rate in France is 20 percent");
    const unrelated = e.embedOne("Kubernetes pods restart after an OOM kill");
    expect(cosine(query, related)).toBeGreaterThan(cosine(query, unrelated) + 0.1);
  });

  it("gives the zero vector for text without words", () => {
    expect([...e.embedOne("   ...  ")].every((v) => v === 0)).toBe(true);
  });
});
