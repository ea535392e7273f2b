/**
 * resource.Quantity as Kubernetes implements it (k8s.io/apimachinery/pkg/api/resource):
 * a fixed-point number written with a binary (Ki Mi Gi Ti Pi Ei), decimal (n u m k M G T P E)
 * or exponent (e3, E-2) suffix, kept here exactly as an integer count of nano-units (BigInt),
 * so that parse → format gives Kubernetes' canonical text ('1000m' → '1', '0.5' → '500m',
 * '1.5Gi' → '1536Mi', '1000' → '1k'). Precision below 1n is rounded up, as Kubernetes does.
 */

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export class Quantity {
  /** The value in units of 10^-9. */
  readonly nanos: bigint;
  readonly format: QuantityFormat;
  constructor(nanos: bigint, format: QuantityFormat = 'DecimalSI') {
    this.nanos = nanos;
    this.format = format;
  }

  /** Canonical text, as Quantity.String() in Go. */
  toString(): string {
    return formatQuantity(this);
  }
  toJSON(): string {
    return this.toString();
  }
  /** The value rounded up to an integer (Go's Value()). */
  value(): bigint {
    return ceilDiv(this.nanos, NANO);
  }
  /** The value in thousandths, rounded up (Go's MilliValue()). */
  milliValue(): bigint {
    return ceilDiv(this.nanos, 1_000_000n);
  }
  /** -1, 0, 1 */
  cmp(other: Quantity): number {
    return this.nanos < other.nanos ? -1 : this.nanos > other.nanos ? 1 : 0;
  }
  add(other: Quantity): Quantity {
    return new Quantity(this.nanos + other.nanos, this.nanos === 0n && this.format === 'DecimalSI' ? other.format : this.format);
  }
  sub(other: Quantity): Quantity {
    return new Quantity(this.nanos - other.nanos, this.format);
  }
  neg(): Quantity {
    return new Quantity(-this.nanos, this.format);
  }
  isZero(): boolean {
    return this.nanos === 0n;
  }
  sign(): number {
    return this.nanos < 0n ? -1 : this.nanos > 0n ? 1 : 0;
  }
}

const NANO = 1_000_000_000n;

function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a > 0n ? q + 1n : q;
}

export const quantityRegexpText = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
const errFormatWrong = `quantities must match the regular expression '${quantityRegexpText}'`;
const errSuffix = 'unable to parse quantity\'s suffix';

const binarySuffixes: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const decimalSuffixes: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

export class QuantityParseError extends Error {}

/** Parse a quantity; throws QuantityParseError with Go's messages on bad input. */
export function parseQuantity(input: string | number): Quantity {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new QuantityParseError(errFormatWrong);
    input = Number.isInteger(input) ? BigInt(input).toString() : String(input);
    if (input.includes('e')) {
      // 1e-7 style from JS number formatting
      const [m, e] = input.split('e');
      input = `${m}e${Number(e)}`;
    }
  }
  const str = input.trim();
  if (str.length === 0) throw new QuantityParseError('quantities must match the regular expression \'' + quantityRegexpText + '\'');
  // split number and suffix, as Go's parseQuantityString
  let pos = 0;
  let positive = true;
  if (str[0] === '+' || str[0] === '-') {
    positive = str[0] === '+';
    pos = 1;
  }
  let intPart = '';
  let fracPart = '';
  let seenDot = false;
  let seenDigit = false;
  for (; pos < str.length; pos++) {
    const ch = str[pos];
    if (ch >= '0' && ch <= '9') {
      seenDigit = true;
      if (seenDot) fracPart += ch; else intPart += ch;
    } else if (ch === '.' && !seenDot) {
      seenDot = true;
    } else break;
  }
  if (!seenDigit) throw new QuantityParseError(errFormatWrong);
  const suffix = str.slice(pos);
  let format: QuantityFormat;
  let base = 10;
  let exp = 0;
  if (suffix in binarySuffixes) {
    format = 'BinarySI';
    base = 2;
    exp = binarySuffixes[suffix];
  } else if (suffix in decimalSuffixes) {
    format = 'DecimalSI';
    exp = decimalSuffixes[suffix];
  } else if (/^[eE][-+]?[0-9]+$/.test(suffix)) {
    format = 'DecimalExponent';
    exp = Number(suffix.slice(1));
    if (!Number.isSafeInteger(exp)) throw new QuantityParseError(errSuffix);
  } else if (/^[eEinumkKMGTP]*[-+]?[0-9]*$/.test(suffix)) {
    throw new QuantityParseError(errSuffix);
  } else {
    throw new QuantityParseError(errFormatWrong);
  }
  // exact rational: digits / 10^frac * base^exp, in nanos
  let num = BigInt((intPart || '0') + fracPart);
  let den = 10n ** BigInt(fracPart.length);
  num *= NANO;
  if (base === 2) num *= 2n ** BigInt(exp);
  else if (exp >= 0) num *= 10n ** BigInt(exp);
  else den *= 10n ** BigInt(-exp);
  let nanos = num / den;
  if (num % den !== 0n) nanos += 1n; // round up (away from zero)
  if (!positive) nanos = -nanos;
  return new Quantity(nanos, format);
}

/** Parse without throwing; undefined when invalid. */
export function tryParseQuantity(input: unknown): Quantity | undefined {
  if (typeof input !== 'string' && typeof input !== 'number') return undefined;
  try {
    return parseQuantity(input);
  } catch {
    return undefined;
  }
}

const decimalSuffixFor: Record<number, string> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' };
const binarySuffixFor = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

/** Canonical text of a quantity, as Go's Quantity.String() (CanonicalizeBytes). */
export function formatQuantity(q: Quantity): string {
  const n = q.nanos;
  if (n === 0n) return '0';
  const neg = n < 0n;
  const abs = neg ? -n : n;
  const sign = neg ? '-' : '';
  let format = q.format;
  if (format === 'BinarySI') {
    if (abs < 1024n * NANO || abs % NANO !== 0n) format = 'DecimalSI';
    else {
      let v = abs / NANO;
      let k = 0;
      while (k < 6 && v % 1024n === 0n) {
        v /= 1024n;
        k++;
      }
      return sign + v.toString() + binarySuffixFor[k];
    }
  }
  // decimal: largest exponent (multiple of 3, -9..18) that keeps an integer mantissa
  let e = -9;
  let m = abs;
  while (e < 18 && m % 1000n === 0n) {
    m /= 1000n;
    e += 3;
  }
  if (format === 'DecimalExponent') return sign + m.toString() + (e === 0 ? '' : `e${e}`);
  return sign + m.toString() + decimalSuffixFor[e];
}

/** Canonical text of a quantity string ('1000m' → '1'); throws on invalid input. */
export function canonicalQuantity(s: string | number): string {
  return parseQuantity(s).toString();
}

export function quantityFromMillis(millis: bigint | number, format: QuantityFormat = 'DecimalSI'): Quantity {
  return new Quantity(BigInt(millis) * 1_000_000n, format);
}
export function quantityFromInt(v: bigint | number, format: QuantityFormat = 'DecimalSI'): Quantity {
  return new Quantity(BigInt(v) * NANO, format);
}

/** Millis as a JS number (rounded up), e.g. CPU. */
export function toMillis(s: string | number | Quantity): number {
  const q = s instanceof Quantity ? s : parseQuantity(s);
  return Number(q.milliValue());
}
/** Whole units as a JS number (rounded up), e.g. bytes of memory. */
export function toBytes(s: string | number | Quantity): number {
  const q = s instanceof Quantity ? s : parseQuantity(s);
  return Number(q.value());
}
export function compareQuantities(a: string | Quantity, b: string | Quantity): number {
  const qa = a instanceof Quantity ? a : parseQuantity(a);
  const qb = b instanceof Quantity ? b : parseQuantity(b);
  return qa.cmp(qb);
}
export function addQuantities(a: string | Quantity, b: string | Quantity): Quantity {
  const qa = a instanceof Quantity ? a : parseQuantity(a);
  const qb = b instanceof Quantity ? b : parseQuantity(b);
  return qa.add(qb);
}
export function subQuantities(a: string | Quantity, b: string | Quantity): Quantity {
  const qa = a instanceof Quantity ? a : parseQuantity(a);
  const qb = b instanceof Quantity ? b : parseQuantity(b);
  return qa.sub(qb);
}
