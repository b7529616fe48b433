import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SDK_TYPES, sdkTypes } from "../scripts/sdk-types.ts";

/**
 * The SDK cannot drift from the server: its request types are generated from the routes' own
 * contracts, and this fails while the committed file differs from what the routes give now
 * (`npm run sdk:types` rewrites it). What each route answers is checked against the SDK's result
 * types by the type checker (test/contract/sdk-responses.ts); this makes sure no SDK call is left
 * out of that check.
 */
describe("the SDK's types", () => {
  it("take what the REST routes' contracts give today", async () => {
    expect(readFileSync(SDK_TYPES, "utf8")).toBe(await sdkTypes());
  });

  it("have every JSON call's result checked against what its route answers", () => {
    const dir = new URL("../packages/sdk/src/", import.meta.url);
    const calls = readdirSync(dir)
      .filter((f) => f.endsWith(".ts"))
      .flatMap((f) => readFileSync(new URL(f, dir), "utf8").match(/this\.request</g) ?? []);
    const checks = readFileSync(new URL("./contract/sdk-responses.ts", import.meta.url), "utf8").match(
      /Expect<\s*Fits</g,
    );
    expect(calls.length).toBeGreaterThan(50);
    expect(checks?.length).toBe(calls.length);
  });
});
