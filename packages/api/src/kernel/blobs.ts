import { Readable } from "node:stream";
import { queryRows, sql } from "@memstore/db";
import { ByteReader, readHeader, type SafetensorsHeader } from "@memstore/formats";
import type { AppContext } from "./context.ts";

/**
 * Reading and writing the blob store as services need it: generated files stream in, and what is
 * read into memory is always bounded (a header, a tensor, a config; never a payload).
 */
export type BlobRef = { digest: string; size: number };

/** Stores a generated stream (a converted file, a copy), capped at twice the payload limit. */
export function putStream(ctx: AppContext, stream: AsyncIterable<Uint8Array>): Promise<BlobRef> {
  return ctx.blobs.put(Readable.from(stream), { maxBytes: ctx.config.MAX_PAYLOAD_BYTES * 2 });
}

/** Bytes [start, end) of a blob, opened only when read (so a writer can line up many without opening them). */
export function blobRange(
  ctx: AppContext,
  digest: string,
  start: number,
  end: number,
): AsyncIterable<Uint8Array> {
  return {
    async *[Symbol.asyncIterator]() {
      if (end > start) yield* await ctx.blobs.get(digest, { start, end: end - 1 });
    },
  };
}

/** Bytes [start, end) of a blob, read into memory. */
export async function readBlobRange(ctx: AppContext, digest: string, start: number, end: number) {
  const parts: Uint8Array[] = [];
  for await (const c of blobRange(ctx, digest, start, end)) parts.push(c);
  return Buffer.concat(parts);
}

export async function sizeOf(ctx: AppContext, digest: string): Promise<number> {
  const info = await ctx.blobs.stat(digest);
  if (!info) throw new Error(`blob ${digest} is missing from storage`);
  return info.size;
}

/** A whole (small) blob: a config, a tokenizer, a model export validation loads anyway. */
export async function readBlob(ctx: AppContext, digest: string) {
  return readBlobRange(ctx, digest, 0, await sizeOf(ctx, digest));
}

/** The header of a safetensors blob, read without its tensors. */
export async function headerOfBlob(ctx: AppContext, digest: string): Promise<SafetensorsHeader> {
  const reader = new ByteReader(await ctx.blobs.get(digest));
  try {
    return await readHeader(reader, await sizeOf(ctx, digest));
  } finally {
    await reader.close();
  }
}

/** A tensor's bytes in a safetensors blob whose header was read. */
export function tensorRange(
  ctx: AppContext,
  digest: string,
  header: SafetensorsHeader,
  tensor: { begin: number; end: number },
): AsyncIterable<Uint8Array> {
  return blobRange(ctx, digest, header.dataStart + tensor.begin, header.dataStart + tensor.end);
}

/** A blob nothing keeps (a rejected version's output, a traced file) is deleted, unless the same bytes are another version's. */
export async function deleteUnlessShared(ctx: AppContext, digest: string) {
  const [row] = await queryRows<{ used: boolean }>(
    ctx.db,
    sql`select exists (select 1 from artifacts where digest = ${digest})
        or exists (select 1 from cube_versions where digest = ${digest})
        or exists (select 1 from base_models where onnx_digest = ${digest} or tokenizer_digest = ${digest}) as used`,
  );
  if (!row?.used) await ctx.blobs.delete(digest);
}
