import { describe, expect, it } from "vitest";
import { PassageChooser } from "./passages.ts";

const WINCH = "The winch crew inspects the winch drum and its brake every morning before loading.";
const WINCH_TOO = "Grease for the winch drum brake is applied by the winch crew each week.";
const ANCHOR = "The anchor chain is measured link by link at the bow once a year.";

const order = (chooser: PassageChooser<string>) => {
  const out: string[] = [];
  for (let c = chooser.next(); c; c = chooser.next()) out.push(c.item);
  return out;
};

describe("choosing a context's passages", () => {
  const candidates = [
    { item: "winch", text: WINCH, score: 1 },
    { item: "winch-too", text: WINCH_TOO, score: 0.9 },
    { item: "anchor", text: ANCHOR, score: 0.5 },
  ];

  it("follows the ranking at diversity 0", () => {
    expect(order(new PassageChooser(candidates, 0))).toEqual(["winch", "winch-too", "anchor"]);
  });

  it("puts a passage unlike those taken ahead of a more relevant repeat of them as diversity grows", () => {
    expect(order(new PassageChooser(candidates, 0.7))).toEqual(["winch", "anchor", "winch-too"]);
  });

  it("drops the same passage again, lightly edited or inside a longer one, and counts what it dropped", () => {
    const chooser = new PassageChooser(
      [
        ...candidates,
        { item: "copy", text: WINCH, score: 0.95 },
        { item: "edited", text: WINCH.replace("every morning", "each morning"), score: 0.8 },
        { item: "quoted", text: `Our note: ${WINCH} We photograph the brake too.`, score: 0.7 },
      ],
      0,
    );
    expect(order(chooser)).toEqual(["winch", "winch-too", "anchor"]);
    expect(chooser.duplicates).toBe(3);
  });

  it("keeps short passages that only share words", () => {
    const chooser = new PassageChooser(
      [
        { item: "a", text: "Check the winch.", score: 1 },
        { item: "b", text: "Check the anchor.", score: 0.5 },
      ],
      0,
    );
    expect(order(chooser)).toEqual(["a", "b"]);
  });
});
