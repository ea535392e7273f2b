/** Small IPv4 CIDR arithmetic for network configs. */
export interface Cidr { base: number; bits: number }

export function parseIp(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new Error(`invalid IPv4 address ${JSON.stringify(ip)}`);
  return parts.reduce((a, p) => a * 256 + Number(p), 0);
}

export function formatIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export function parseCidr(cidr: string): Cidr {
  const [ip, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) throw new Error(`invalid CIDR ${JSON.stringify(cidr)}`);
  const size = 2 ** (32 - bits);
  return { base: Math.floor(parseIp(ip) / size) * size, bits };
}

export function formatCidr(c: Cidr): string { return `${formatIp(c.base)}/${c.bits}`; }

/** First usable address (the gateway by convention). */
export function firstHost(c: Cidr): string { return formatIp(c.base + 1); }

export function contains(c: Cidr, ip: string): boolean {
  const n = parseIp(ip);
  return n >= c.base && n < c.base + 2 ** (32 - c.bits);
}
