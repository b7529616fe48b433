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
