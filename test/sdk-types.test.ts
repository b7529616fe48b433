import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SDK_TYPES, sdkTypes } from "../scripts/sdk-types.ts";

/**
 * The SDK cannot drift from the server: its request types are generated from the routes' own
 * contracts, and this fails while the committed file differs from what the routes give now
 * (`npm run sdk:types` rewrites it).
 */
describe("the SDK's generated request types", () => {
  it("are what the REST routes' contracts give today", async () => {
    expect(readFileSync(SDK_TYPES, "utf8")).toBe(await sdkTypes());
  });
});
