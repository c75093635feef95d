// The x87 80-bit "long double" that redis-server on x86-64 computes INCRBYFLOAT
// with (64-bit mantissa, 15-bit exponent), done exactly with BigInt, so that
// our results are Redis's to the last digit: Redis's string2ld (glibc's
// strtold: decimal or hexadecimal, "inf", correctly rounded), the sum rounded
// to nearest even, and ld2string's LD_STR_HUMAN ("%.17Lf", trailing zeros cut).

/** A finite value, mantissa · 2^exponent (|mantissa| < 2^64), or an infinity. */
export type LongDouble = { readonly mantissa: bigint; readonly exponent: number } | { readonly infinity: 1 | -1 };

const mantissaBits = 64;
/** The weight of the last bit of the smallest subnormal: 2^-16445. */
const lowestExponent = -16445;
/** A mantissa below 2^64 at this exponent or less stays below 2^16384, the overflow. */
const highestExponent = 16384 - mantissaBits;
/** string2ld's buffer (MAX_LONG_DOUBLE_CHARS): a longer text is not a float to Redis. */
const maxChars = 5 * 1024;

const zero: LongDouble = { mantissa: 0n, exponent: 0 };
const bitLength = (value: bigint): number => value.toString(2).length;

/** |num / den| rounded to nearest even in 64 bits (fewer among the subnormals), signed; an infinity past the largest finite. */
function roundQuotient(negative: boolean, num: bigint, den: bigint): LongDouble {
  if (num === 0n) return zero;
  let exponent = Math.max(lowestExponent, bitLength(num) - bitLength(den) - mantissaBits);
  const quotient = (at: number): [bigint, bigint] => {
    const [n, d] = at >= 0 ? [num, den << BigInt(at)] : [num << BigInt(-at), den];
    return [n / d, n % d * 2n - d];
  };
  let [mantissa, excess] = quotient(exponent);
  if (mantissa >= 1n << BigInt(mantissaBits)) [mantissa, excess] = quotient(++exponent);
  if (excess > 0n || (excess === 0n && (mantissa & 1n) === 1n)) mantissa++;
  if (mantissa === 1n << BigInt(mantissaBits)) [mantissa, exponent] = [mantissa >> 1n, exponent + 1];
  if (exponent > highestExponent) return { infinity: negative ? -1 : 1 };
  return { mantissa: negative ? -mantissa : mantissa, exponent };
}

/** `digits · base^power` exactly, as num/den; a power so far out that the value surely overflows or vanishes is clamped. */
function scaled(negative: boolean, digits: bigint, base: bigint, power: number, magnitude: number, range: [number, number]): LongDouble | undefined {
  if (digits === 0n) return zero;
  if (magnitude > range[1]) return { infinity: negative ? -1 : 1 };
  if (magnitude < range[0]) return undefined;
  return power >= 0 ? roundQuotient(negative, digits * base ** BigInt(power), 1n) : roundQuotient(negative, digits, base ** BigInt(-power));
}

const decimalSyntax = /^([+-]?)(?:(\d+)\.?(\d*)|\.(\d+))(?:[eE]([+-]?\d+))?$/;
const hexSyntax = /^([+-]?)0[xX](?:([\da-fA-F]+)\.?([\da-fA-F]*)|\.([\da-fA-F]+))(?:[pP]([+-]?\d+))?$/;
const infinitySyntax = /^([+-]?)inf(?:inity)?$/i;

/**
 * A text as Redis reads a float (string2ld): what strtold reads whole, with no
 * leading space, that is neither NaN nor out of range (overflow, or a nonzero
 * value that rounds to 0); undefined otherwise. "inf" is a float.
 */
export function parseLongDouble(text: string): LongDouble | undefined {
  if (text.length === 0 || text.length >= maxChars) return undefined;
  const infinity = infinitySyntax.exec(text);
  if (infinity) return { infinity: infinity[1] === '-' ? -1 : 1 };
  const decimal = decimalSyntax.exec(text);
  const hex = decimal ? undefined : hexSyntax.exec(text);
  const match = decimal ?? hex;
  if (!match) return undefined;
  const [, sign, whole = '', fraction = '', onlyFraction = '', power = '0'] = match;
  const fractionDigits = fraction + onlyFraction;
  const digits = (whole + fractionDigits).replace(/^0+/, '');
  const exponent = Number(power) - fractionDigits.length * (decimal ? 1 : 4);
  const parsed = decimal
    ? scaled(sign === '-', BigInt(`0${digits}`), 10n, exponent, digits.length + exponent, [-4960, 4940])
    : scaled(sign === '-', BigInt(`0x0${digits}`), 2n, exponent, digits.length * 4 + exponent, [lowestExponent - 2, 16390]);
  if (parsed === undefined || ('infinity' in parsed) || (parsed.mantissa === 0n && digits !== '')) return undefined;
  return parsed;
}

/** a + b, rounded as the x87 rounds it; undefined for NaN (infinities of both signs). */
export function addLongDoubles(a: LongDouble, b: LongDouble): LongDouble | undefined {
  if ('infinity' in a || 'infinity' in b) {
    if ('infinity' in a && 'infinity' in b && a.infinity !== b.infinity) return undefined;
    return 'infinity' in a ? a : b;
  }
  const low = Math.min(a.exponent, b.exponent);
  const sum = (a.mantissa << BigInt(a.exponent - low)) + (b.mantissa << BigInt(b.exponent - low));
  const magnitude = sum < 0n ? -sum : sum;
  return low >= 0 ? roundQuotient(sum < 0n, magnitude << BigInt(low), 1n) : roundQuotient(sum < 0n, magnitude, 1n << BigInt(-low));
}

/** Whether a value is an infinity. */
export function isInfinite(value: LongDouble): boolean {
  return 'infinity' in value;
}

/** A finite value as Redis prints it (ld2string, LD_STR_HUMAN): "%.17Lf" rounded to nearest even, trailing zeros and point cut, "-0" as "0". */
export function formatLongDouble(value: LongDouble): string {
  if ('infinity' in value) return value.infinity > 0 ? 'inf' : '-inf';
  const magnitude = value.mantissa < 0n ? -value.mantissa : value.mantissa;
  const scaledUp = magnitude * 10n ** 17n;
  let units: bigint;
  if (value.exponent >= 0) units = scaledUp << BigInt(value.exponent);
  else {
    const den = 1n << BigInt(-value.exponent);
    units = scaledUp / den;
    const excess = (scaledUp % den) * 2n - den;
    if (excess > 0n || (excess === 0n && (units & 1n) === 1n)) units++;
  }
  const text = units.toString().padStart(18, '0');
  const fraction = text.slice(-17).replace(/0+$/, '');
  const printed = `${value.mantissa < 0n ? '-' : ''}${text.slice(0, -17)}${fraction === '' ? '' : `.${fraction}`}`;
  return printed === '-0' ? '0' : printed;
}
