import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { checksum } from '../lib/storage/checksum';

describe('checksum', () => {
  // Both sides of the switch from the table loop to zlib's call, and the edges.
  test.each([0, 1, 2, 17, 63, 95, 96, 97, 128, 1000])('agrees with zlib.crc32 over %i bytes, at any offset', (length) => {
    const bytes = randomBytes(length + 10);
    expect(checksum(bytes, 3, 3 + length)).toBe(crc32(bytes.subarray(3, 3 + length)));
  });

  test('the standard check value: CRC-32 of "123456789" is 0xcbf43926', () => {
    expect(checksum(Buffer.from('123456789'), 0, 9)).toBe(0xcbf43926);
  });
});
