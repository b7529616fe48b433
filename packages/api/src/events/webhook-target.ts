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
  ["100::", 64], // discard-only
  ["64:ff9b:1::", 48], // NAT64 for local use
  ["2001:db8::", 32], // documentation
  ["2001:10::", 28], // ORCHID
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated, still routed inside some networks)
  ["ff00::", 8], // multicast
] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, "ipv6");
}

/** The 16 bytes of an IPv6 address in any spelling (zeros compressed, a dotted quad at the end, a zone). */
function ipv6Bytes(address: string): Uint8Array {
  let text = address.split("%")[0]!.toLowerCase();
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const front = head ? head.split(":") : [];
  const back = tail === undefined ? [] : tail ? tail.split(":") : [];
  const groups =
    tail === undefined
      ? front
      : [...front, ...Array<string>(8 - front.length - back.length).fill("0"), ...back];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    const value = parseInt(g, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 255;
  });
  return bytes;
}

/**
 * The IPv4 addresses an IPv6 address carries, by every scheme that embeds one: IPv4-mapped
 * (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`), IPv4-translated (`::ffff:0:a.b.c.d`), NAT64
 * (`64:ff9b::a.b.c.d`), 6to4 (`2002:aabb:ccdd::`) and Teredo (its server, and its client with the
 * bits inverted). A packet sent to such an address can reach that IPv4 address.
 */
function embeddedIpv4(bytes: Uint8Array): string[] {
  const quad = (at: number, invert = 0) => [0, 1, 2, 3].map((i) => (bytes[at + i]! ^ invert) & 255).join(".");
  const zero = (from: number, to: number) => bytes.subarray(from, to).every((b) => b === 0);
  const is = (at: number, ...values: number[]) => values.every((v, i) => bytes[at + i] === v);
  const found: string[] = [];
  if (zero(0, 10) && is(10, 0xff, 0xff)) found.push(quad(12));
  if (zero(0, 12)) found.push(quad(12));
  if (zero(0, 8) && is(8, 0xff, 0xff, 0, 0)) found.push(quad(12));
  if (is(0, 0, 0x64, 0xff, 0x9b) && zero(4, 12)) found.push(quad(12));
  if (is(0, 0x20, 0x02)) found.push(quad(2));
  if (is(0, 0x20, 0x01, 0, 0)) found.push(quad(4), quad(12, 0xff));
  return found;
}

const isPublicIpv4 = (address: string) => !NOT_PUBLIC.check(address, "ipv4");

/** True for an address a webhook may be delivered to: public unicast, whatever IPv4 it may carry. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return isPublicIpv4(address);
  if (family !== 6) return false;
  const bytes = ipv6Bytes(address);
  const hex = Array.from({ length: 8 }, (_, i) => ((bytes[i * 2]! << 8) | bytes[i * 2 + 1]!).toString(16));
  if (NOT_PUBLIC.check(hex.join(":"), "ipv6")) return false;
  return embeddedIpv4(bytes).every(isPublicIpv4);
}

/**
 * Why a webhook URL may not be used, judged from the URL alone (an address or a local name), or
 * null; names that resolve elsewhere are judged at delivery by `publicOnlyLookup`.
 */
export function privateTargetReason(url: string): string | null {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return `'${host}' is this machine`;
  if (isIP(host) && !isPublicAddress(host)) return `${host} is not a public address`;
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
