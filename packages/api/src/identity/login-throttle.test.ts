import { describe, expect, it } from "vitest";
import { LoginThrottle } from "./login-throttle.ts";

describe("LoginThrottle", () => {
  it("lets five failures through, then makes each further attempt wait twice as long as the last", () => {
    let now = 1_000_000;
    const throttle = new LoginThrottle(() => now);
    for (let i = 0; i < 5; i++) {
      expect(throttle.waitMs("a@example.com")).toBe(0);
      throttle.failed("a@example.com");
    }
    expect(throttle.waitMs("a@example.com")).toBe(2_000);
    now += 2_000;
    expect(throttle.waitMs("a@example.com")).toBe(0);
    throttle.failed("a@example.com");
    expect(throttle.waitMs("a@example.com")).toBe(4_000);
    expect(throttle.waitMs("b@example.com")).toBe(0);
  });

  it("clears the count on success and forgets failures after fifteen minutes", () => {
    let now = 0;
    const throttle = new LoginThrottle(() => now);
    for (let i = 0; i < 6; i++) throttle.failed("a");
    throttle.succeeded("a");
    expect(throttle.waitMs("a")).toBe(0);
    for (let i = 0; i < 6; i++) throttle.failed("b");
    now += 15 * 60_000 + 1;
    expect(throttle.waitMs("b")).toBe(0);
  });
});
