import { AppError } from "@memstore/core";
import { type Dtype, DTYPE_SIZES, elementsOf } from "./safetensors.ts";

export type TensorSource = {
  name: string;
  dtype: Dtype;
  shape: number[];
  data: Uint8Array | AsyncIterable<Uint8Array>;
};

/**
 * A safetensors file as a stream, in canonical form: tensors sorted by name and laid out in that
 * order, header JSON with sorted keys, padded with spaces so the data starts on an 8-byte boundary.
 * `keepOrder` lays the tensors out in the order given instead (a stream converted tensor by tensor
 * keeps its source's order; the data sources are read one after another, in that order).
 */
export async function* writeSafetensors(
  tensors: readonly TensorSource[],
  metadata: Record<string, string> = {},
  options: { keepOrder?: boolean } = {},
): AsyncGenerator<Uint8Array> {
  const sorted = options.keepOrder
    ? [...tensors]
    : [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    header.__metadata__ = Object.fromEntries(Object.entries(metadata).sort(([a], [b]) => (a < b ? -1 : 1)));
  }
  let offset = 0;
  for (const t of sorted) {
    if (Object.hasOwn(header, t.name)) {
      throw new AppError("safetensors_duplicate_key", `tensor '${t.name}' is written twice`, {
        tensor: t.name,
      });
    }
    const bytes = elementsOf(t.shape) * DTYPE_SIZES[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = Buffer.from(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  yield prefix;
  yield json;
  for (const t of sorted) {
    const expected = elementsOf(t.shape) * DTYPE_SIZES[t.dtype];
    let written = 0;
    const pieces = t.data instanceof Uint8Array ? [t.data] : t.data;
    for await (const piece of pieces) {
      written += piece.length;
      if (written > expected) break;
      yield piece;
    }
    if (written !== expected) {
      throw new AppError(
        "safetensors_byte_length",
        `tensor '${t.name}' (${t.dtype} ${JSON.stringify(t.shape)}) needs ${expected} bytes, got ${written}${written > expected ? " or more" : ""}`,
        { tensor: t.name },
      );
    }
  }
}
