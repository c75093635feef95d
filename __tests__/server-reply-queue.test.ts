// The reply queue's output limit counts UTF-8 bytes, not UTF-16 units: a
// multibyte reply takes up to 3 bytes (4 per surrogate pair) per character.

import { ReplyQueue } from '../lib/server/reply-queue';

/** A queue holding `texts` as ready replies (push() needs neither store nor turn). */
function queueOf(texts: string[]): ReplyQueue {
  const queue = new ReplyQueue({} as never, {} as never, () => {});
  for (const text of texts) queue.push(text);
  return queue;
}

const e = 'é'; // 1 unit, 2 bytes
const euro = '€'; // 1 unit, 3 bytes
const smile = '😀'; // 2 units, 4 bytes

describe('takeReady(room) takes the ready replies only while their UTF-8 bytes fit in room', () => {
  const cases: Array<[string, string[], number, boolean]> = [
    ['ASCII that fits exactly', ['OK\r\n', 'abc\r\n'], 9, true],
    ['ASCII one byte over', ['OK\r\n', 'abc\r\n'], 8, false],
    ['2-byte characters: 600 units, 1200 bytes, room 1000', [e.repeat(600)], 1000, false],
    ['2-byte characters that fit exactly', [e.repeat(600)], 1200, true],
    ['3-byte characters: 400 units, 1200 bytes, room 1199', [euro.repeat(400)], 1199, false],
    ['3-byte characters that fit exactly', [euro.repeat(400)], 1200, true],
    ['surrogate pairs: 4 bytes each', [smile.repeat(100)], 399, false],
    ['surrogate pairs that fit exactly', [smile.repeat(100)], 400, true],
    ['many small multibyte replies passing the room late', Array.from({ length: 100 }, () => `${e}${e}\r\n`), 599, false],
    ['many small multibyte replies that fit', Array.from({ length: 100 }, () => `${e}${e}\r\n`), 600, true],
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
