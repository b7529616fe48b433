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
    ["0:0:0:0:0:ffff:7f00:1", false],
    // IPv6 spellings that carry an IPv4 address are judged by it.
    ["::127.0.0.1", false],
    ["::7f00:1", false],
    ["::ffff:0:7f00:1", false],
    ["64:ff9b::7f00:1", false],
    ["64:ff9b::127.0.0.1", false],
    ["64:ff9b::a9fe:a9fe", false],
    ["64:ff9b::808:808", true],
    ["64:ff9b:1::1", false],
    ["2002:7f00:1::", false],
    ["2002:a00:1:1::1", false],
    ["2002:808:808::1", true],
    ["2001:0:4136:e378:8000:63bf:80ff:fffe", false],
    ["2001:0:7f00:1:8000:63bf:f7f7:f7f7", false],
    ["2001:0:4136:e378:8000:63bf:f7f7:f7f7", true],
    ["fec0::1", false],
    ["fe80::1%eth0", false],
    ["not an address", false],
  ])("%s is public: %s", (address, expected) => {
    expect(isPublicAddress(address)).toBe(expected);
  });

  it("judges URLs by their address or local name, leaving other names to delivery", () => {
    expect(privateTargetReason("http://127.0.0.1:3000/x")).toBe("127.0.0.1 is not a public address");
    expect(privateTargetReason("http://[::1]/x")).toBe("::1 is not a public address");
    // The URL parser compresses what it is given: these reach 127.0.0.1.
    expect(privateTargetReason("http://[::127.0.0.1]/x")).toBe("::7f00:1 is not a public address");
    expect(privateTargetReason("http://[64:ff9b::7f00:1]/x")).toBe("64:ff9b::7f00:1 is not a public address");
    expect(privateTargetReason("http://[::ffff:127.0.0.1]:8080/x")).toBe(
      "::ffff:7f00:1 is not a public address",
    );
    expect(privateTargetReason("http://2130706433/x")).toBe("127.0.0.1 is not a public address");
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
