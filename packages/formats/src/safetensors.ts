import { AppError } from "@memstore/core";
import { ByteReader, type ByteSource } from "./byte-reader.ts";
import { DuplicateKeyError, JsonSyntaxError, parseStrictJson } from "./strict-json.ts";

/**
 * safetensors, read and written as streams. A file is an 8-byte little-endian header length N, N
 * bytes of JSON header ({ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__? }), then
 * the tensors' bytes, offsets relative to the end of the header. Every rule of the format is
 * checked before a byte of tensor data is trusted, each broken rule with its own error code and a
 * message naming the tensor.
 */
export const DTYPE_SIZES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const;
export type Dtype = keyof typeof DTYPE_SIZES;

/** The largest header read (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

export type TensorInfo = {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** Offsets in the data section (after the header). */
  begin: number;
  end: number;
};

export type SafetensorsHeader = {
  metadata: Record<string, string>;
  /** In the order of their bytes. */
  tensors: TensorInfo[];
  /** Where the data section starts in the file: 8 + header length. */
  dataStart: number;
  /** Length of the data section. */
  dataLength: number;
};

const isDtype = (d: unknown): d is Dtype => typeof d === "string" && Object.hasOwn(DTYPE_SIZES, d);

export const elementsOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Validates a parsed header against the format's rules. `dataLength`: the bytes after the header
 * when the file size is known, so the last tensor must end exactly there.
 */
export function validateHeader(
  raw: unknown,
  dataLength: number | null,
  dataStart: number,
): SafetensorsHeader {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
    throw new AppError("safetensors_header_invalid", "the safetensors header is not a JSON object");
  }
  let metadata: Record<string, string> = {};
  const tensors: TensorInfo[] = [];
  for (const [name, entry] of Object.entries(raw)) {
    if (name === "__metadata__") {
      if (!entry || typeof entry !== "object" || Array.isArray(entry)) {
        throw new AppError("safetensors_metadata", "__metadata__ must map strings to strings");
      }
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== "string") {
          throw new AppError("safetensors_metadata", `__metadata__ '${k}' is ${jsonType(v)}, not a string`, {
            key: k,
          });
        }
      }
      metadata = entry as Record<string, string>;
      continue;
    }
    tensors.push(tensorInfo(name, entry));
  }
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let previous: TensorInfo | null = null;
  for (const t of tensors) {
    if (t.begin < expected) {
      throw new AppError(
        "safetensors_overlap",
        `tensor '${t.name}' starts at byte ${t.begin}, inside '${previous!.name}' (which ends at ${expected})`,
        { tensor: t.name, other: previous!.name },
      );
    }
    if (t.begin > expected) {
      throw new AppError(
        "safetensors_hole",
        `${t.begin - expected} bytes before tensor '${t.name}' (offset ${expected} to ${t.begin}) belong to no tensor`,
        { tensor: t.name },
      );
    }
    expected = t.end;
    previous = t;
  }
  if (dataLength !== null && expected !== dataLength) {
    throw new AppError(
      expected < dataLength ? "safetensors_size_mismatch" : "safetensors_truncated",
      expected < dataLength
        ? `the file has ${dataLength - expected} bytes after the last tensor${previous ? ` ('${previous.name}')` : ""}`
        : `the tensors need ${expected} bytes of data but the file holds ${dataLength}: it is cut short`,
      previous ? { tensor: previous.name } : undefined,
    );
  }
  return { metadata, tensors, dataStart, dataLength: expected };
}

function tensorInfo(name: string, entry: unknown): TensorInfo {
  if (!entry || typeof entry !== "object" || Array.isArray(entry)) {
    throw new AppError(
      "safetensors_header_invalid",
      `tensor '${name}' is ${jsonType(entry)}, not an object`,
      {
        tensor: name,
      },
    );
  }
  const { dtype, shape, data_offsets: offsets, ...rest } = entry as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) {
    throw new AppError("safetensors_header_invalid", `tensor '${name}' has unknown field '${extra[0]}'`, {
      tensor: name,
    });
  }
  if (!isDtype(dtype)) {
    throw new AppError(
      "safetensors_unknown_dtype",
      `tensor '${name}' has dtype ${JSON.stringify(dtype)}; safetensors dtypes are ${Object.keys(DTYPE_SIZES).join(", ")}`,
      { tensor: name },
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new AppError(
      "safetensors_bad_shape",
      `tensor '${name}' has shape ${JSON.stringify(shape)}; a shape is a list of non-negative integers`,
      { tensor: name },
    );
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[1] < offsets[0]
  ) {
    throw new AppError(
      "safetensors_header_invalid",
      `tensor '${name}' has data_offsets ${JSON.stringify(offsets)}; they are [begin, end] with begin ≤ end`,
      { tensor: name },
    );
  }
  const [begin, end] = offsets as [number, number];
  const bytes = elementsOf(shape as number[]) * DTYPE_SIZES[dtype];
  if (end - begin !== bytes) {
    throw new AppError(
      "safetensors_byte_length",
      `tensor '${name}' (${dtype} ${JSON.stringify(shape)}) needs ${bytes} bytes but its offsets span ${end - begin}`,
      { tensor: name },
    );
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

const jsonType = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "an array" : `a ${typeof v}`);

/** Reads and validates the header from the start of a stream; `size`: the file's size, if known. */
export async function readHeader(reader: ByteReader, size: number | null): Promise<SafetensorsHeader> {
  const prefix = await reader.readExact(8);
  if (!prefix) {
    throw new AppError(
      "safetensors_truncated",
      "the file is shorter than the 8 bytes of a safetensors header length",
    );
  }
  const length = prefix.readBigUInt64LE(0);
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw new AppError(
      "safetensors_header_too_large",
      `the header claims ${length} bytes; at most ${MAX_HEADER_BYTES} are read (is this a safetensors file?)`,
    );
  }
  const n = Number(length);
  if (size !== null && 8 + n > size) {
    throw new AppError(
      "safetensors_header_past_eof",
      `the header claims ${n} bytes but the file has ${size - 8} after its length`,
    );
  }
  const bytes = await reader.readExact(n);
  if (!bytes) throw new AppError("safetensors_truncated", `the file ends inside its ${n}-byte header`);
  let raw: unknown;
  try {
    raw = parseStrictJson(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    if (error instanceof DuplicateKeyError) {
      throw new AppError(
        "safetensors_duplicate_key",
        `the header names ${error.message.replace(/^duplicate key/, "")} twice`,
        {
          tensor: error.path.length === 0 ? error.key : error.path[0],
        },
      );
    }
    const why = error instanceof JsonSyntaxError ? error.message : "not UTF-8";
    throw new AppError("safetensors_header_invalid", `the header is not valid JSON: ${why}`);
  }
  return validateHeader(raw, size === null ? null : size - 8 - n, 8 + n);
}

export type TensorStream = TensorInfo & { chunks: AsyncIterable<Uint8Array> };

/**
 * A safetensors stream, validated: the header, then each tensor's bytes in file order as they
 * arrive. Each tensor's `chunks` must be read (or left) before the next tensor is asked for.
 * A stream that ends early is `safetensors_truncated`, naming the tensor it cut.
 */
export async function openSafetensors(source: ByteSource, size: number | null = null) {
  const reader = new ByteReader(source);
  const header = await readHeader(reader, size);
  async function* tensors(): AsyncGenerator<TensorStream> {
    try {
      for (const t of header.tensors) {
        const start = header.dataStart + t.begin;
        const end = header.dataStart + t.end;
        const truncated = () =>
          new AppError(
            "safetensors_truncated",
            `the file ends inside tensor '${t.name}' (${reader.position - start} of ${end - start} bytes)`,
            { tensor: t.name },
          );
        const chunks = (async function* () {
          yield* reader.stream(end - reader.position);
          if (reader.position < end) throw truncated();
        })();
        yield { ...t, chunks };
        // What the consumer left of this tensor is skipped.
        if (reader.position < end) {
          for await (const skipped of reader.stream(end - reader.position)) void skipped;
          if (reader.position < end) throw truncated();
        }
      }
      if (!(await reader.atEnd())) {
        throw new AppError("safetensors_size_mismatch", "the file goes on after the last tensor's bytes");
      }
    } finally {
      await reader.close();
    }
  }
  return { header, tensors };
}

/** Reads a whole (small) safetensors file into memory: for tests and tiny adapters, never for payloads. */
export async function readAllTensors(source: ByteSource, size: number | null = null) {
  const { header, tensors } = await openSafetensors(source, size);
  const out = new Map<string, TensorInfo & { data: Buffer }>();
  for await (const t of tensors()) {
    const parts: Uint8Array[] = [];
    for await (const c of t.chunks) parts.push(c);
    const { chunks: _, ...info } = t;
    out.set(t.name, { ...info, data: Buffer.concat(parts) });
  }
  return { metadata: header.metadata, tensors: out };
}
