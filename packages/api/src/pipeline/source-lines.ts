import { createHash } from "node:crypto";
import { Utf8Validator } from "@memstore/core";
import { InputRejected } from "./input-rejected.ts";

export type Line = { text: string; number: number; byteOffset: number };

/** Lines of a blob with their numbers and byte offsets; checks UTF-8 and the digest on the way. */
export async function* readLines(stream: AsyncIterable<Buffer>, digest: string): AsyncGenerator<Line> {
  const validator = new Utf8Validator();
  const hash = createHash("sha256");
  const decoder = new TextDecoder("utf-8");
  let pending: Buffer = Buffer.alloc(0);
  let number = 0;
  let offset = 0;
  let sawBytes = false;
  const invalid = (at: number) =>
    new InputRejected({
      code: "invalid_utf8",
      message: `invalid UTF-8 at byte offset ${at}`,
      byte_offset: at,
    });

  for await (const chunk of stream) {
    sawBytes ||= chunk.length > 0;
    hash.update(chunk);
    const bad = validator.push(chunk);
    if (bad !== null) throw invalid(bad);
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let newline = pending.indexOf(0x0a);
    while (newline !== -1) {
      const bytes = pending.subarray(0, newline);
      yield { text: decoder.decode(bytes).replace(/\r$/, ""), number: ++number, byteOffset: offset };
      offset += newline + 1;
      pending = pending.subarray(newline + 1);
      newline = pending.indexOf(0x0a);
    }
  }
  const bad = validator.end();
  if (bad !== null) throw invalid(bad);
  if (!sawBytes) throw new InputRejected({ code: "empty_payload", message: "the payload is empty" });
  if (pending.length > 0) yield { text: decoder.decode(pending), number: ++number, byteOffset: offset };
  const actual = `sha256:${hash.digest("hex")}`;
  if (actual !== digest) {
    throw new InputRejected({
      code: "digest_mismatch",
      message: `stored payload hashes to ${actual}, expected ${digest}`,
    });
  }
}
