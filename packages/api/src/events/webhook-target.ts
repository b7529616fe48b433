import { type LookupAddress, type LookupOptions, lookup } from "node:dns";
import { BlockList, isIP } from "node:net";

/**
 * Webhooks are requests MemStore's servers make to addresses its customers choose, so a URL could
 * point them at the private network they run in (databases, cloud metadata at 169.254.169.254).
 * Unless WEBHOOK_ALLOW_PRIVATE_NETWORKS is set, only public unicast addresses are reached: a URL
 * naming another address is refused when the subscription is made, and every delivery checks the
 * addresses its host name resolves to at connect time (so DNS cannot be re-pointed after the check).
 */
const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8], // "this" network
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // carrier-grade NAT
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, cloud metadata
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.168.0.0", 16], // private
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128], // unspecified
  ["::1", 128], // loopback
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["ff00::", 8], // multicast
  ["2001:db8::", 32], // documentation
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, "ipv6");
}

/** `::ffff:a.b.c.d` (either spelling) is an IPv4 address in IPv6 clothing: judged as IPv4. */
function unmapped(address: string): string {
  const lower = address.toLowerCase();
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1]!;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex) return address;
  const [high, low] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join(".");
}

/** True for an address a webhook may be delivered to: public unicast. */
export function isPublicAddress(address: string): boolean {
  const plain = unmapped(address);
  const family = isIP(plain);
  if (family === 0) return false;
  return !NOT_PUBLIC.check(plain, family === 4 ? "ipv4" : "ipv6");
}

/**
 * Why a webhook URL may not be used, judged from the URL alone (an address or a local name), or
 * null; names that resolve elsewhere are judged at delivery by `publicOnlyLookup`.
 */
export function privateTargetReason(url: string): string | null {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return `'${host}' is this machine`;
  if (isIP(unmapped(host)) && !isPublicAddress(host)) return `${host} is not a public address`;
  return null;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/** A `lookup` for net.connect that fails when the host name resolves to any non-public address. */
export function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const refused = addresses.find((a) => !isPublicAddress(a.address));
    if (refused) {
      const denied: NodeJS.ErrnoException = new Error(
        `${hostname} resolves to ${refused.address}, which is not a public address`,
      );
      denied.code = "EADDRNOTPUBLIC";
      return callback(denied, []);
    }
    if (options.all) return callback(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}
