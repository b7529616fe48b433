import { describe, expect, it } from "vitest";
import { MAX_HEADER_BYTES, openSafetensors, readAllTensors } from "./safetensors.ts";
import { writeSafetensors } from "./safetensors-writer.ts";

/** A file from a header given as text (so it can be wrong) and data bytes. */
function raw(header: string, data: Uint8Array = new Uint8Array(0), declaredLength?: number): Buffer {
  const json = Buffer.from(header);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(declaredLength ?? json.length));
  return Buffer.concat([prefix, json, data]);
}

const entry = (dtype: string, shape: number[], begin: number, end: number) => ({
  dtype,
  shape,
  data_offsets: [begin, end],
});

/** Reads every tensor; resolves to the error's code and message, or "ok". */
async function outcome(file: Buffer, options: { knownSize?: boolean; chunk?: number } = {}) {
  const chunk = options.chunk ?? 5;
  const pieces = Array.from({ length: Math.ceil(file.length / chunk) }, (_, i) =>
    file.subarray(i * chunk, (i + 1) * chunk),
  );
  try {
    await readAllTensors(pieces, options.knownSize === false ? null : file.length);
    return "ok";
  } catch (error) {
    const e = error as { code?: string; message: string };
    return `${e.code}: ${e.message}`;
  }
}

async function bytesOf(stream: AsyncIterable<Uint8Array>) {
  const parts: Uint8Array[] = [];
  for await (const c of stream) parts.push(c);
  return Buffer.concat(parts);
}

describe("safetensors reading and writing", () => {
  it("writes canonical files (sorted, aligned) that read back byte for byte, from chunks of any size", async () => {
    const a = Float32Array.from({ length: 6 }, (_, i) => i - 2.5);
    const b = Uint8Array.from([1, 2, 3]);
    const file = await bytesOf(
      writeSafetensors(
        [
          { name: "z.weight", dtype: "F32", shape: [2, 3], data: new Uint8Array(a.buffer) },
          { name: "a.mask", dtype: "U8", shape: [3], data: b },
          { name: "empty", dtype: "F16", shape: [0, 4], data: new Uint8Array(0) },
        ],
        { format: "pt" },
      ),
    );
    const headerLength = Number(file.readBigUInt64LE(0));
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(file.subarray(8, 8 + headerLength).toString());
    expect(Object.keys(header)).toEqual(["__metadata__", "a.mask", "empty", "z.weight"]);
    expect(header["a.mask"].data_offsets).toEqual([0, 3]);
    expect(header["z.weight"].data_offsets).toEqual([3, 27]);
    for (const chunk of [1, 7, 4096]) {
      expect(await outcome(file, { chunk })).toBe("ok");
    }
    const read = await readAllTensors([file], file.length);
    expect(read.metadata).toEqual({ format: "pt" });
    expect(new Float32Array(new Uint8Array(read.tensors.get("z.weight")!.data).buffer)).toEqual(a);
    expect(read.tensors.get("a.mask")).toMatchObject({ dtype: "U8", shape: [3], data: Buffer.from(b) });
    // Written again from what was read: the same bytes.
    const again = await bytesOf(
      writeSafetensors(
        [...read.tensors.values()].map((t) => ({ ...t })),
        read.metadata,
      ),
    );
    expect(again).toEqual(file);
  });

  it("streams tensors in file order, skipping what a reader leaves", async () => {
    const file = raw(
      JSON.stringify({ second: entry("U8", [2], 2, 4), first: entry("U8", [2], 0, 2) }),
      Buffer.from([1, 2, 3, 4]),
    );
    const { tensors } = await openSafetensors([file], file.length);
    const seen: Array<[string, number[]]> = [];
    for await (const t of tensors()) {
      if (t.name === "first") {
        seen.push([t.name, []]); // left unread
        continue;
      }
      const parts: number[] = [];
      for await (const c of t.chunks) parts.push(...c);
      seen.push([t.name, parts]);
    }
    expect(seen).toEqual([
      ["first", []],
      ["second", [3, 4]],
    ]);
  });

  it("refuses each broken rule with its own code, naming the tensor", async () => {
    const f32 = (n: number) => Buffer.alloc(n * 4);
    const cases: Array<[string, Buffer, RegExp, { knownSize?: boolean }?]> = [
      ["truncated before the length", Buffer.from([1, 2, 3]), /^safetensors_truncated/],
      [
        "header length past the end",
        raw(JSON.stringify({ w: entry("F32", [2], 0, 8) }), f32(2), 10_000),
        /^safetensors_header_past_eof: .*10000 bytes/,
      ],
      [
        "header length past the end, size unknown",
        raw(JSON.stringify({ w: entry("F32", [2], 0, 8) }), Buffer.alloc(0), 10_000),
        /^safetensors_truncated: .*inside its 10000-byte header/,
        { knownSize: false },
      ],
      [
        "an absurd header length",
        raw("{}", Buffer.alloc(0), MAX_HEADER_BYTES + 1),
        /^safetensors_header_too_large/,
      ],
      ["a header that is not JSON", raw("{not json"), /^safetensors_header_invalid: .*not valid JSON/],
      ["a header that is a list", raw("[]"), /^safetensors_header_invalid: .*not a JSON object/],
      [
        "a tensor name holding a NUL",
        raw(JSON.stringify({ "w\u0000": entry("F32", [1], 0, 4) }), f32(1)),
        /^safetensors_header_invalid: .*a string that holds a NUL character/,
      ],
      [
        "metadata holding a lone surrogate",
        raw(
          `{"__metadata__":{"base_model":"\\ud800"},"w":${JSON.stringify(entry("F32", [1], 0, 4))}}`,
          f32(1),
        ),
        /^safetensors_header_invalid: .*a string that holds a lone surrogate/,
      ],
      [
        "a header nested 20,000 deep",
        raw(`{"__metadata__":${"[".repeat(20_000)}${"]".repeat(20_000)}}`),
        /^safetensors_header_invalid: .*nesting deeper than 64 levels/,
      ],
      [
        "overlapping offsets",
        raw(JSON.stringify({ a: entry("F32", [2], 0, 8), b: entry("F32", [2], 4, 12) }), f32(3)),
        /^safetensors_overlap: tensor 'b' starts at byte 4, inside 'a'/,
      ],
      [
        "a hole between tensors",
        raw(JSON.stringify({ a: entry("F32", [1], 0, 4), b: entry("F32", [1], 8, 12) }), f32(3)),
        /^safetensors_hole: 4 bytes before tensor 'b'/,
      ],
      [
        "bytes after the last tensor",
        raw(JSON.stringify({ a: entry("F32", [1], 0, 4) }), f32(2)),
        /^safetensors_size_mismatch: the file has 4 bytes after the last tensor \('a'\)/,
      ],
      [
        "bytes after the last tensor, size unknown",
        raw(JSON.stringify({ a: entry("F32", [1], 0, 4) }), f32(2)),
        /^safetensors_size_mismatch: the file goes on after the last tensor/,
        { knownSize: false },
      ],
      [
        "the data ends early",
        raw(JSON.stringify({ a: entry("F32", [4], 0, 16) }), f32(2)),
        /^safetensors_truncated: the tensors need 16 bytes of data but the file holds 8/,
      ],
      [
        "the data ends early, size unknown",
        raw(JSON.stringify({ a: entry("F32", [4], 0, 16) }), f32(2)),
        /^safetensors_truncated: the file ends inside tensor 'a' \(8 of 16 bytes\)/,
        { knownSize: false },
      ],
      [
        "the wrong byte length for the shape",
        raw(JSON.stringify({ w: entry("F32", [2, 3], 0, 20) }), Buffer.alloc(20)),
        /^safetensors_byte_length: tensor 'w' \(F32 \[2,3\]\) needs 24 bytes but its offsets span 20/,
      ],
      [
        "an unknown dtype",
        raw(JSON.stringify({ w: entry("F128", [1], 0, 16) }), Buffer.alloc(16)),
        /^safetensors_unknown_dtype: tensor 'w' has dtype "F128"/,
      ],
      [
        "a negative dimension",
        raw(JSON.stringify({ w: entry("F32", [-1], 0, 0) })),
        /^safetensors_bad_shape: tensor 'w'/,
      ],
      [
        "non-string metadata",
        raw(JSON.stringify({ __metadata__: { epochs: 3 }, w: entry("U8", [1], 0, 1) }), Buffer.alloc(1)),
        /^safetensors_metadata: __metadata__ 'epochs' is a number, not a string/,
      ],
      [
        "a tensor named twice",
        raw(
          `{"w":${JSON.stringify(entry("U8", [1], 0, 1))},"w":${JSON.stringify(entry("U8", [1], 1, 2))}}`,
          Buffer.alloc(2),
        ),
        /^safetensors_duplicate_key: .*'w'/,
      ],
      [
        "an unknown field on a tensor",
        raw(JSON.stringify({ w: { ...entry("U8", [1], 0, 1), quant: "q4" } }), Buffer.alloc(1)),
        /^safetensors_header_invalid: tensor 'w' has unknown field 'quant'/,
      ],
    ];
    for (const [what, file, expected, options] of cases) {
      expect(await outcome(file, options), what).toMatch(expected);
    }
  });

  it("refuses to write a tensor whose data does not fit its shape", async () => {
    await expect(
      bytesOf(writeSafetensors([{ name: "w", dtype: "F32", shape: [2], data: new Uint8Array(7) }])),
    ).rejects.toMatchObject({ code: "safetensors_byte_length" });
  });
});
