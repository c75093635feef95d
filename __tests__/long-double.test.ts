// The x87 long double behind INCRBYFLOAT, as tables of what redis-server 7.0
// on x86-64 answered (`SET k <current>`, `INCRBYFLOAT k <by>`); the
// differential test (resp-differential.system.test.ts) compares random ones live.

import { addLongDoubles, formatLongDouble, parseLongDouble } from '../lib/core/long-double';

/** INCRBYFLOAT's result, or its error, from two texts. */
function incrByFloat(current: string, by: string): string {
  const [value, increment] = [parseLongDouble(current), parseLongDouble(by)];
  if (value === undefined || increment === undefined) return 'not a valid float';
  const sum = addLongDoubles(value, increment);
  return sum === undefined || 'infinity' in sum ? 'NaN or Infinity' : formatLongDouble(sum);
}

describe('INCRBYFLOAT as redis-server computes and prints it', () => {
  test.each<[string, string, string]>([
    ['10.5', '0.1', '10.6'],
    ['0.1', '0.2', '0.3'],
    ['0', '5.0e3', '5000'],
    ['5000', '-5000', '0'],
    ['0', '3.14159265358979323846264338', '3.14159265358979324'],
    ['0.3', '1e20', '100000000000000000000'],
    ['1e20', '0x10', '100000000000000000016'],
    ['12345678901234567890123', '0', '12345678901234567889920'],
    ['1e2', '0', '100'],
    // "%.17Lf" ties go to the even digit: 2^-18 and 3 * 2^-18.
    ['0.000003814697265625', '0', '0.00000381469726562'],
    ['0.000011444091796875', '0', '0.00001144409179688'],
    // "-0" and a tiny negative print as "0".
    ['-0.0', '0', '0'],
    ['0', '-1e-20', '0'],
    ['0', '-0.5', '-0.5'],
    // Subnormals are floats; a value that rounds to 0 is not.
    ['0', '1e-4940', '0'],
    ['0', '1e-4955', 'not a valid float'],
    ['0.2', '1e30', '1000000000000000000024696061952'],
    ['123456789.123456789', '0', '123456789.12345678899873747'],
    ['1.1', '2.2', '3.3'],
    ['-1.1', '1.1', '0'],
    ['9223372036854775807', '1', '9223372036854775808'],
    // 64 bits of mantissa: 2^64 - 1 is exact, 2^64 + 1 is not.
    ['18446744073709551615', '0', '18446744073709551615'],
    ['18446744073709551617', '0', '18446744073709551616'],
    ['1e-17', '0', '0.00000000000000001'],
    ['5e-18', '0', '0'],
    ['1.5e-17', '0', '0.00000000000000002'],
    ['1e4932', '1e4932', 'NaN or Infinity'],
    ['0', 'inf', 'NaN or Infinity'],
    ['inf', '-inf', 'NaN or Infinity'],
    ['0', '1e5000', 'not a valid float'],
  ])('%s + %s', (current, by, result) => {
    expect(incrByFloat(current, by)).toBe(result);
  });
});

describe('the texts Redis reads as floats (string2ld)', () => {
  test.each<[string, string | undefined]>([
    ['1.', '1'],
    ['.5', '0.5'],
    ['+1', '1'],
    ['00012', '12'],
    ['1E3', '1000'],
    ['-0', '0'],
    ['1e0000000000000000000000005', '100000'],
    ['1e-000000000000000000000001', '0.1'],
    ['0x.8', '0.5'],
    ['0x1p-2', '0.25'],
    ['0x1P3', '8'],
    ['INF', 'inf'],
    ['+Infinity', 'inf'],
    ['-inf', '-inf'],
    ['0e999999999999', '0'],
    [`${'0'.repeat(5118)}1`, '1'],
    [`${'0'.repeat(5119)}1`, undefined],
    ['', undefined],
    ['.', undefined],
    ['-', undefined],
    ['1e', undefined],
    ['1e+', undefined],
    ['0x', undefined],
    ['0x1p', undefined],
    ['infinit', undefined],
    ['nan', undefined],
    [' 1', undefined],
    ['1 ', undefined],
    ['1_0', undefined],
    ['0b1', undefined],
    ['1\x002', undefined],
  ])('%j', (text, printed) => {
    const parsed = parseLongDouble(text);
    expect(parsed === undefined ? undefined : formatLongDouble(parsed)).toBe(printed);
  });
});
