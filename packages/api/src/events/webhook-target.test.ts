import { describe, expect, it } from "vitest";
import { isPublicAddress, privateTargetReason, publicOnlyLookup } from "./webhook-target.ts";

describe("webhook targets", () => {
  it.each([
    ["93.184.215.14", true],
    ["8.8.8.8", true],
    ["2606:4700:4700::1111", true],
    ["127.0.0.1", false],
    ["127.255.0.9", false],
    ["10.0.0.1", false],
    ["172.16.5.4", false],
    ["172.32.0.1", true],
    ["192.168.1.1", false],
    ["169.254.169.254", false],
    ["100.64.0.1", false],
    ["0.0.0.0", false],
    ["224.0.0.1", false],
    ["255.255.255.255", false],
    ["::1", false],
    ["::", false],
    ["fd00::1", false],
    ["fe80::1", false],
    ["::ffff:127.0.0.1", false],
    ["::ffff:7f00:1", false],
    ["::ffff:5db8:d70e", true],
    ["not an address", false],
  ])("%s is public: %s", (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });

  it("judges URLs by their address or local name, leaving other names to delivery", () => {
    expect(privateTargetReason("http://127.0.0.1:3000/x")).toBe("127.0.0.1 is not a public address");
    expect(privateTargetReason("http://[::1]/x")).toBe("::1 is not a public address");
    expect(privateTargetReason("http://LOCALHOST/x")).toBe("'localhost' is this machine");
    expect(privateTargetReason("https://hooks.example.com/x")).toBeNull();
    expect(privateTargetReason("https://93.184.215.14/x")).toBeNull();
  });

  it("fails a lookup that resolves to a loopback address", async () => {
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      publicOnlyLookup("localhost", {}, (e) => resolve(e)),
    );
    expect(error?.code).toBe("EADDRNOTPUBLIC");
    expect(error?.message).toMatch(
      /^localhost resolves to (127\.0\.0\.1|::1), which is not a public address$/,
    );
  });
});
