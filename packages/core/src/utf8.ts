/**
 * Streaming UTF-8 validation that reports the byte offset of the first invalid sequence, so a
 * rejection report can point at it. Rejects overlongs, surrogates and code points above U+10FFFF.
 */
export class Utf8Validator {
  private offset = 0;
  private need = 0;
  private lower = 0x80;
  private upper = 0xbf;
  private sequenceStart = 0;
  private invalidAt: number | null = null;

  /** Feeds bytes; returns the offset of the first invalid byte seen so far, or null. */
  push(bytes: Uint8Array): number | null {
    if (this.invalidAt !== null) return this.invalidAt;
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i]!;
      const at = this.offset + i;
      if (this.need === 0) {
        if (b <= 0x7f) continue;
        this.sequenceStart = at;
        if (b >= 0xc2 && b <= 0xdf) this.begin(1, 0x80, 0xbf);
        else if (b === 0xe0) this.begin(2, 0xa0, 0xbf);
        else if (b === 0xed) this.begin(2, 0x80, 0x9f);
        else if (b >= 0xe1 && b <= 0xef) this.begin(2, 0x80, 0xbf);
        else if (b === 0xf0) this.begin(3, 0x90, 0xbf);
        else if (b === 0xf4) this.begin(3, 0x80, 0x8f);
        else if (b >= 0xf1 && b <= 0xf3) this.begin(3, 0x80, 0xbf);
        else return this.fail(at);
      } else {
        if (b < this.lower || b > this.upper) return this.fail(this.sequenceStart);
        this.lower = 0x80;
        this.upper = 0xbf;
        this.need--;
      }
    }
    this.offset += bytes.length;
    return null;
  }

  /** Ends the stream; a sequence cut off at the end is invalid. */
  end(): number | null {
    if (this.invalidAt !== null) return this.invalidAt;
    return this.need > 0 ? this.fail(this.sequenceStart) : null;
  }

  private begin(need: number, lower: number, upper: number): void {
    this.need = need;
    this.lower = lower;
    this.upper = upper;
  }

  private fail(at: number): number {
    this.invalidAt = at;
    return at;
  }
}
