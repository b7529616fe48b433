import { parseMemoryItemLine, payloadFormatOf } from "@memstore/core";
import type { VersionRow } from "@memstore/db";
import { InputRejected } from "../input-rejected.ts";
import type { Line } from "../source-lines.ts";

/** A plaintext version's payload format: `jsonl` memory items, or a `markdown`/`text` document. */
export function plaintextFormatOf(version: VersionRow) {
  const format = payloadFormatOf("plaintext", version.contentType);
  if (!format || !version.digest) {
    throw new InputRejected({ code: "unsupported_format", message: "no plaintext payload" });
  }
  return { format, digest: version.digest };
}

/** Each non-blank line of a JSONL payload as a memory item, or the rejection naming the bad line. */
export async function* memoryItems(lines: AsyncIterable<Line>, onBlank: () => void = () => {}) {
  for await (const line of lines) {
    if (line.text.trim() === "") {
      onBlank();
      continue;
    }
    const parsed = parseMemoryItemLine(line.text);
    if (!parsed.ok) {
      throw new InputRejected({
        code: "invalid_jsonl",
        message: `line ${line.number}: ${parsed.message}`,
        line: line.number,
        byte_offset: line.byteOffset,
      });
    }
    yield { item: parsed.item, line: line.number };
  }
}
