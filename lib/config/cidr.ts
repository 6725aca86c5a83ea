/** Minimal IPv4 CIDR arithmetic for config checks (no dependency needed for this much). */

export interface ParsedCidr {
  readonly network: number;
  readonly prefix: number;
}

/** Smallest and largest VPC prefixes accepted: AWS allows /16 to /28; /24 leaves room for subnets in each AZ. */
const MIN_PREFIX = 16;
const MAX_PREFIX = 24;

/** Parses `a.b.c.d/n`; undefined when malformed, out of range, or not aligned to its prefix. */
export function parseCidr(value: string): ParsedCidr | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix < MIN_PREFIX || prefix > MAX_PREFIX) return undefined;
  const address = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  if ((address & mask) >>> 0 !== address) return undefined;
  return { network: address, prefix };
}

/** True when the two blocks share any address. Malformed blocks never overlap (they are reported elsewhere). */
export function cidrsOverlap(a: string, b: string): boolean {
  const pa = parseCidr(a);
  const pb = parseCidr(b);
  if (!pa || !pb) return false;
  const prefix = Math.min(pa.prefix, pb.prefix);
  const mask = (0xffffffff << (32 - prefix)) >>> 0;
  return (pa.network & mask) >>> 0 === (pb.network & mask) >>> 0;
}
