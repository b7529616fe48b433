import { createCubeInput, createListingInput } from "@memstore/api/schemas";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { readableMessage } from "../apps/web/app/_lib/readable.ts";

/** The portal's forms show zod's refusals in words a person reads, never zod's own phrasing. */
const messagesOf = (schema: z.ZodType, value: unknown) =>
  (schema.safeParse(value).error?.issues ?? []).map((i) => [i.path.join("."), readableMessage(i.message)]);

describe("readable validation errors", () => {
  it("turns the API schemas' default messages into plain words", () => {
    const cube = Object.fromEntries(
      messagesOf(createCubeInput, { title: "", slug: "ok-slug", type: "plaintext" }),
    );
    expect(cube.title).toBe("Required");
    const listing = Object.fromEntries(
      messagesOf(createListingInput, {
        cube_id: "cube_1",
        visibility: "everyone",
        pricing: { model: "one_time", amount_cents: Number.NaN, currency: "usd" },
      }),
    );
    expect(listing.visibility).toBe("Choose one of the options");
    expect(listing["pricing.amount_cents"]).toBe("Enter a number");
    const big = messagesOf(createListingInput, {
      cube_id: "cube_1",
      visibility: "public",
      pricing: { model: "one_time", amount_cents: 10 ** 10, currency: "usd" },
    });
    expect(big).toEqual([["pricing.amount_cents", "Must be at most 999,999,999"]]);
    expect(readableMessage(z.email().safeParse("nope").error!.issues[0]!.message)).toBe(
      "Enter an email address, like name@example.com",
    );
  });

  it("leaves the messages a schema wrote itself alone", () => {
    expect(readableMessage("an ISO 4217 currency code in lower case, like usd")).toBe(
      "an ISO 4217 currency code in lower case, like usd",
    );
    for (const [, message] of messagesOf(createListingInput, {}))
      expect(message).not.toMatch(/^(Too small|Too big|Invalid input)/);
  });
});
