/**
 * Which hosts a tool may reach. A catalog is text from strangers and a model chooses the arguments, so an HTTP tool
 * must not become a way into the machine's own network: loopback, link-local (the cloud metadata service at
 * 169.254.169.254 included), private, carrier-grade NAT, multicast and unspecified addresses are refused, in
 * IPv4, IPv6, IPv4-mapped and NAT64 forms, and host names are resolved first so that a name pointing there is
 * refused too. A catalog endpoint or an executor option can allow them (a local test server, an intranet API).
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

const V4_SUBNETS: readonly [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const V6_SUBNETS: readonly [string, number][] = [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
];

/** The refused ranges; IPv4 ranges also in their IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) forms. */
const REFUSED = ((): BlockList => {
  const list = new BlockList();
  for (const [address, prefix] of V4_SUBNETS) {
    list.addSubnet(address, prefix, 'ipv4');
    list.addSubnet(`::ffff:${address}`, 96 + prefix, 'ipv6');
    list.addSubnet(`64:ff9b::${address}`, 96 + prefix, 'ipv6');
  }
  for (const [address, prefix] of V6_SUBNETS) list.addSubnet(address, prefix, 'ipv6');
  return list;
})();

/** True for an IP address in a refused range. */
export function isInternalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return REFUSED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The host of a URL without IPv6 brackets (the WHATWG parser already normalizes `0x7f.1` to `127.0.0.1`). */
const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Throws (with a message naming the URL, the address and the way to allow it) when the URL's host is or resolves to
 * a refused address. `resolve` is the name lookup, replaceable in tests.
 */
export async function checkPublicUrl(
  url: URL,
  resolve: (host: string) => Promise<readonly string[]> = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address),
): Promise<void> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${url.href}: only http and https URLs are called`);
  const host = hostOf(url);
  const addresses = isIP(host) !== 0 ? [host] : await resolve(host);
  const internal = addresses.find(isInternalAddress);
  if (internal !== undefined) {
    const via = internal === host ? '' : ` (${host} resolves to ${internal})`;
    throw new Error(
      `${url.href} is a loopback, link-local or private address${via}; refused unless the catalog endpoint sets "allowPrivateNetwork": true or the executor is created with allowPrivateNetwork`,
    );
  }
}

/** Why a URL from a catalog looks dangerous to call, for import warnings; undefined when it does not. */
export function suspiciousEndpoint(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `'${url}' is not a valid URL`;
  }
  if (parsed.username !== '' || parsed.password !== '') return `'${url}' carries credentials in the URL`;
  const host = hostOf(parsed);
  if (isInternalAddress(host) || host === 'localhost' || host.endsWith('.localhost')) {
    return `'${url}' points to a loopback, link-local or private address; calls are refused unless allowed`;
  }
  return undefined;
}
