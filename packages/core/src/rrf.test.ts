import { describe, expect, it } from "vitest";
import { fuseByReciprocalRank } from "./rrf.ts";

const list = (...keys: string[]) => keys.map((key) => ({ key, item: key }));

describe("fuseByReciprocalRank", () => {
  it("ranks an item found by both lists above items found by one", () => {
    const fused = fuseByReciprocalRank([list("a", "b", "c"), list("d", "c", "e")]);
    expect(fused[0]!.key).toBe("c");
    expect(fused[0]!.score).toBeCloseTo(1 / 63 + 1 / 62);
  });

  it("scores each list's first item 1/(k+1)", () => {
    const fused = fuseByReciprocalRank([list("x")], 10);
    expect(fused).toEqual([{ key: "x", item: "x", score: 1 / 11 }]);
  });

  it("breaks ties by the best rank seen, then by key", () => {
    const fused = fuseByReciprocalRank([list("a", "b"), list("b", "a")]);
    expect(fused.map((f) => f.key)).toEqual(["a", "b"]);
  });
});
