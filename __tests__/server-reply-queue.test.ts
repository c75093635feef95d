// The reply queue's output limit counts bytes: a reply is a binary string (one
// char per byte), so a value of 600 two-byte characters is 1200 bytes.

import { toBinary } from '../lib/core/bytes';
import { ReplyQueue } from '../lib/server/reply-queue';

/** A queue holding `texts` as ready replies (push() needs neither store nor turn). */
function queueOf(texts: string[]): ReplyQueue<never> {
  const queue = new ReplyQueue<never>({} as never, {} as never, () => {});
  for (const text of texts) queue.push(text);
  return queue;
}

const e = toBinary('é'); // 2 bytes
const euro = toBinary('€'); // 3 bytes
const smile = toBinary('😀'); // 4 bytes

describe('takeReady(room) takes the ready replies only while their bytes fit in room', () => {
  const cases: Array<[string, string[], number, boolean]> = [
    ['ASCII that fits exactly', ['OK\r\n', 'abc\r\n'], 9, true],
    ['ASCII one byte over', ['OK\r\n', 'abc\r\n'], 8, false],
    ['2-byte characters: 1200 bytes, room 1000', [e.repeat(600)], 1000, false],
    ['2-byte characters that fit exactly', [e.repeat(600)], 1200, true],
    ['3-byte characters: 1200 bytes, room 1199', [euro.repeat(400)], 1199, false],
    ['3-byte characters that fit exactly', [euro.repeat(400)], 1200, true],
    ['4-byte characters, one byte over', [smile.repeat(100)], 399, false],
    ['4-byte characters that fit exactly', [smile.repeat(100)], 400, true],
    ['many small replies passing the room late', Array.from({ length: 100 }, () => `${e}${e}\r\n`), 599, false],
    ['many small replies that fit', Array.from({ length: 100 }, () => `${e}${e}\r\n`), 600, true],
    ['bytes that are not UTF-8 count one each', ['\xff'.repeat(500), '\x80\xc0\r\n'], 504, true],
    ['bytes that are not UTF-8, one byte over', ['\xff'.repeat(500), '\x80\xc0\r\n'], 503, false],
    ['ASCII first, then a multibyte reply over the room', ['x'.repeat(500), euro.repeat(200)], 1099, false],
  ];
  test.each(cases)('%s', (_name, texts, room, fits) => {
    const queue = queueOf(texts);
    const taken = queue.takeReady(room);
    if (fits) {
      expect(taken).toBe(texts.join(''));
      expect(queue.length).toBe(0);
    } else {
      expect(taken).toBeUndefined();
      expect(queue.length).toBe(texts.length); // left in place
    }
  });
});
