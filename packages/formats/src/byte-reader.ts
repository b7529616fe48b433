/**
 * Reads a byte stream in exact amounts without holding more of it than asked for: the basis of
 * every streaming parser here (a 10 GB file goes through with a few chunks in memory).
 */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export class ByteReader {
  private readonly iterator: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  private pending: Uint8Array | null = null;
  private done = false;
  /** Bytes handed out so far. */
  position = 0;

  constructor(source: ByteSource) {
    this.iterator =
      Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  }

  private async fill(): Promise<boolean> {
    while (!this.pending || this.pending.length === 0) {
      if (this.done) return false;
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        return false;
      }
      this.pending = next.value;
    }
    return true;
  }

  private take(max: number): Uint8Array {
    const chunk = this.pending!;
    const piece = chunk.length <= max ? chunk : chunk.subarray(0, max);
    this.pending = chunk.length <= max ? null : chunk.subarray(max);
    this.position += piece.length;
    return piece;
  }

  /** Exactly n bytes, or null (nothing consumed past the end) when the stream ends first. */
  async readExact(n: number): Promise<Buffer | null> {
    const parts: Uint8Array[] = [];
    let got = 0;
    while (got < n) {
      if (!(await this.fill())) return null;
      const piece = this.take(n - got);
      parts.push(piece);
      got += piece.length;
    }
    return Buffer.concat(parts, n);
  }

  /** The next n bytes as they arrive; ends early only if the stream does (check `position`). */
  async *stream(n: number): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0) {
      if (!(await this.fill())) return;
      const piece = this.take(left);
      left -= piece.length;
      yield piece;
    }
  }

  /** Whether the stream has nothing more. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill());
  }

  /** Stops reading the source (its `return`, e.g. closing a file). */
  async close(): Promise<void> {
    await this.iterator.return?.();
  }
}
