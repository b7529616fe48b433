import { describe, expect, it } from "vitest";
import { describeError, redactSecrets } from "./log-safety.ts";

/** A query library's error as drizzle-orm throws it: the statement and parameters in the message. */
function failedQuery(params: unknown[], cause: Error) {
  const error = new Error(
    `Failed query: select * from api_keys where prefix = $1\nparams: ${params.join(",")}`,
  );
  error.cause = cause;
  return error;
}

describe("log safety", () => {
  it("blanks the shapes of secrets wherever they appear in a line", () => {
    const line = [
      "key msk_4f9a2b7c1d0e3f5a6b7c8d9e0f1a2b3c",
      "prefix msk_4f9a2b7c1d",
      "secret whsec_9b8a7c6d5e4f",
      "hash scrypt$32768$8$1$c2FsdA$a2V5",
      "Authorization: Bearer abc.def",
      "url postgres://memstore:hunter2@db:5432/x",
      "form /signin?email=a%40b.c&password=memstore-demo",
    ].join(" | ");
    const clean = redactSecrets(line);
    for (const secret of ["4f9a2b7c1d", "9b8a7c6d5e4f", "c2FsdA", "abc.def", "hunter2", "memstore-demo"]) {
      expect(clean).not.toContain(secret);
    }
    expect(clean).toContain("email=a%40b.c");
    expect(redactSecrets("version ver_abc123 is ready")).toBe("version ver_abc123 is ready");
  });

  it("describes a failed query by the database's complaint, never by its statement or parameters", () => {
    const cause = Object.assign(new Error("connection terminated unexpectedly"), { code: "57P01" });
    const text = describeError(failedQuery(["msk_4f9a2b7c1d", "the memory's private text"], cause), {
      stack: true,
    });
    expect(text).toMatch(/^query failed \(57P01\): connection terminated unexpectedly/);
    expect(text).not.toContain("msk_4f9a2b7c1d");
    expect(text).not.toContain("private text");
    expect(text).not.toContain("select");
    expect(text).toContain("    at ");
  });

  it("keeps an ordinary error's name and message", () => {
    expect(describeError(new TypeError("x is not a function"))).toBe("TypeError: x is not a function");
    expect(describeError("plain")).toBe("plain");
  });
});
