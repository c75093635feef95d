// Length-prefixed frames on a byte stream: a 4-byte big-endian length, then
// that many bytes. The decoder checks a length against its maximum before it
// keeps a single byte of the body, so a peer cannot make it allocate 4 GiB.

/** Bytes of the length prefix. */
export const headerBytes = 4;

/** Prefixes `body` with its length. */
export function encodeFrame(body: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(headerBytes + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, headerBytes);
  return frame;
}

/** A frame whose announced length is over the maximum: the stream cannot be trusted after it. */
export class FrameTooLarge extends Error {
  constructor(
    readonly length: number,
    readonly max: number,
  ) {
    super(`a frame announced ${length} bytes, more than the maximum of ${max}`);
  }
}

/**
 * Turns chunks of a stream into frame bodies. Holds at most one partial frame
 * (bounded by `maxBody` + header) between chunks. `maxBody` may be changed
 * between frames (the handshake raises it once it is complete).
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** The body length of the frame being read, once its header is in. */
  private bodyLength = -1;

  constructor(public maxBody: number) {}

  /** Bytes held for a frame that is not complete yet. */
  get pending(): number {
    return this.buffered;
  }

  /**
   * Feeds one chunk and hands each frame it completes to `onFrame`, in order.
   * Throws FrameTooLarge as soon as a header announces too long a body.
   */
  push(chunk: Buffer, onFrame: (body: Buffer) => void): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      if (this.bodyLength < 0) {
        if (this.buffered < headerBytes) return;
        this.bodyLength = this.take(headerBytes).readUInt32BE(0);
        if (this.bodyLength > this.maxBody) throw new FrameTooLarge(this.bodyLength, this.maxBody);
      }
      if (this.buffered < this.bodyLength) return;
      const body = this.take(this.bodyLength);
      this.bodyLength = -1;
      onFrame(body);
    }
  }

  /** Every frame `chunk` completes, as an array (for tests and the handshake). */
  pushAll(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    this.push(chunk, (body) => frames.push(body));
    return frames;
  }

  /** Removes and returns the first `count` buffered bytes (count <= buffered). */
  private take(count: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= count) {
      // The common case: no copy, a view on the chunk.
      const head = first.subarray(0, count);
      if (first.length === count) this.chunks.shift();
      else this.chunks[0] = first.subarray(count);
      this.buffered -= count;
      return head;
    }
    const joined = Buffer.concat(this.chunks, this.buffered);
    this.chunks = joined.length > count ? [joined.subarray(count)] : [];
    this.buffered -= count;
    return joined.subarray(0, count);
  }
}
