import { describe, expect, it } from "vitest";
import { updateAvailable } from "./version-policy.ts";

describe("an install's update", () => {
  const ready = ["1.0.0", "1.1.0", "1.2.0", "2.0.0"];

  it("is the newest newer version its policy allows", () => {
    expect(updateAvailable("latest", "1.0.0", ready)).toEqual({ version: "2.0.0", allowed_by_policy: true });
    expect(updateAvailable("^1", "1.0.0", ready)).toEqual({ version: "1.2.0", allowed_by_policy: true });
  });

  it("else the newest newer one, which its policy keeps it from", () => {
    expect(updateAvailable("1.0.0", "1.0.0", ready)).toEqual({ version: "2.0.0", allowed_by_policy: false });
    expect(updateAvailable("^1", "1.2.0", ready)).toEqual({ version: "2.0.0", allowed_by_policy: false });
  });

  it("is none on the newest, or when only older versions are ready", () => {
    expect(updateAvailable("latest", "2.0.0", ready)).toBeNull();
    expect(updateAvailable("latest", "3.0.0", ready)).toBeNull();
  });
});
