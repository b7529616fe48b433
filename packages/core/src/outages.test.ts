import { describe, expect, it } from "vitest";
import { isOutage } from "./outages.ts";

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe("outages", () => {
  it("recognises a dependency's outage however a driver wraps it", () => {
    expect(isOutage(withCode("connect ECONNREFUSED 127.0.0.1:5432", "ECONNREFUSED"))).toBe(true);
    // Drizzle wraps the driver's error as the cause of "Failed query: …".
    const query = new Error("Failed query: select 1", {
      cause: withCode("the database system is shutting down", "57P03"),
    });
    expect(isOutage(query)).toBe(true);
    expect(isOutage(withCode("terminating connection due to administrator command", "57P01"))).toBe(true);
    expect(isOutage(withCode("server closed the connection", "08006"))).toBe(true);
    expect(isOutage(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(
      isOutage(new AggregateError([withCode("connect ECONNREFUSED ::1:6379", "ECONNREFUSED")], "all failed")),
    ).toBe(true);
    expect(isOutage(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe(true);
  });

  it("recognises the payment provider out of reach, timing out or failing on its side", () => {
    const stripe = (type: string, statusCode?: number) =>
      Object.assign(new Error(`${type} from Stripe`), { type, statusCode });
    expect(isOutage(stripe("StripeConnectionError"))).toBe(true);
    expect(isOutage(stripe("StripeAPIError", 500))).toBe(true);
    expect(isOutage(stripe("StripeAPIError", 503))).toBe(true);
    expect(isOutage(stripe("StripeRateLimitError", 429))).toBe(true);
    // Stripe refusing the request itself is about the request.
    expect(isOutage(stripe("StripeInvalidRequestError", 400))).toBe(false);
    expect(isOutage(stripe("StripeCardError", 402))).toBe(false);
    expect(isOutage(stripe("StripeAuthenticationError", 401))).toBe(false);
    expect(isOutage(Object.assign(new Error("x"), { type: "other", statusCode: 503 }))).toBe(false);
  });

  it("leaves errors about the request, or the code, alone", () => {
    expect(isOutage(withCode('duplicate key value violates unique constraint "x"', "23505"))).toBe(false);
    expect(
      isOutage(new Error("Failed query: insert", { cause: withCode("could not extend file", "P0001") })),
    ).toBe(false);
    expect(isOutage(new TypeError("Cannot read properties of undefined"))).toBe(false);
    expect(isOutage("ECONNREFUSED")).toBe(false);
    const loop: Error & { cause?: unknown } = new Error("loop");
    loop.cause = loop;
    expect(isOutage(loop)).toBe(false);
  });
});
