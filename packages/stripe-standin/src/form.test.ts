import { describe, expect, it } from "vitest";
import { decodeForm } from "./form.ts";

describe("decodeForm", () => {
  it("reads Stripe's bracketed keys into objects and arrays", () => {
    const body =
      "mode=payment&line_items[0][price]=price_1&line_items[0][quantity]=2&line_items[1][price]=price_2" +
      "&metadata[listing_id]=lst_1&payment_intent_data[transfer_data][destination]=acct_1&success_url=https%3A%2F%2Fx%2Fok";
    expect(decodeForm(body)).toEqual({
      mode: "payment",
      line_items: [{ price: "price_1", quantity: "2" }, { price: "price_2" }],
      metadata: { listing_id: "lst_1" },
      payment_intent_data: { transfer_data: { destination: "acct_1" } },
      success_url: "https://x/ok",
    });
  });
});
