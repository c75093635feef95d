// CRC-32 (zlib's polynomial) of part of a buffer. A record of a few dozen
// bytes is the common case, and for it zlib.crc32's call costs more than the
// sum: a table loop in JavaScript takes about half the time up to ~100 bytes.

import { crc32 } from 'node:zlib';

/** Below this many bytes the table loop is faster than zlib's call (measured on Node 20). */
const tableLoopBelow = 96;

const table = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let bit = 0; bit < 8; bit++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  table[n] = c;
}

/** The CRC-32 of `bytes[start, end)`, as zlib.crc32 computes it. */
export function checksum(bytes: Uint8Array, start: number, end: number): number {
  if (end - start >= tableLoopBelow) return crc32(bytes.subarray(start, end));
  let crc = -1;
  for (let i = start; i < end; i++) crc = table[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
