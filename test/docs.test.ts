import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { CONFIG_VARIABLES } from "@memstore/api";
import { describe, expect, it } from "vitest";

/**
 * The README and docs/ stay true to the code: every link and image they hold leads to a file that
 * exists, and the configuration reference lists exactly the variables the configuration reads.
 */
const ROOT = join(import.meta.dirname, "..");
const DOCS = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

describe("the README and docs/", () => {
  it("link only to files that exist, and show only images that exist", () => {
    const broken: string[] = [];
    for (const doc of DOCS) {
      const text = readFileSync(join(ROOT, doc), "utf8");
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^(https?:|mailto:|#)/.test(target!)) continue;
        const path = join(ROOT, dirname(doc), target!.split("#")[0]!);
        if (!existsSync(path)) broken.push(`${doc} → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it("reach every topic from the README", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const unlinked = DOCS.filter((d) => d !== "README.md" && !readme.includes(`](${d})`));
    expect(unlinked).toEqual([]);
  });

  it("list every configuration variable, and only those, in docs/configuration.md", () => {
    const table = readFileSync(join(ROOT, "docs/configuration.md"), "utf8")
      .split("\n")
      .filter((line) => line.startsWith("| `"));
    const documented = table.flatMap((row) =>
      [...row.split("|")[1]!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!),
    );
    expect([...documented].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });
});
