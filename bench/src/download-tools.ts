import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { inputIdsTensor, kvMetadata, type TensorSource, writeSafetensors } from "@memstore/formats";
import type { BlobStore } from "@memstore/storage";

/** bench:download's fixture (a large KV snapshot of a Llama-shaped model) and its ways of reading a file. */
export const LAYERS = 16;
export const KV_HEADS = 8;
export const HEAD_DIM = 128;
/** Bytes of one token of the snapshot: every layer's key and value, f32. */
export const BYTES_PER_TOKEN = LAYERS * 2 * KV_HEADS * HEAD_DIM * 4;

export const MODEL = {
  _name_or_path: "bench/kv-16l",
  num_hidden_layers: LAYERS,
  hidden_size: 4096,
  num_attention_heads: 32,
  num_key_value_heads: KV_HEADS,
  head_dim: HEAD_DIM,
  intermediate_size: 14336,
  vocab_size: 32000,
};
export const TOKENIZER_SHA256 = createHash("sha256").update("bench tokenizer").digest("hex");

/** A KV snapshot of `tokens` tokens of the bench model, written as a file: f32, deterministic values. */
export async function writeSnapshot(path: string, tokens: number) {
  const ids = Array.from({ length: tokens }, (_, i) => (i * 7919) % MODEL.vocab_size);
  const count = KV_HEADS * tokens * HEAD_DIM;
  const tensors: TensorSource[] = [inputIdsTensor(ids)];
  for (let l = 0; l < LAYERS; l++) {
    for (const side of ["key", "value"]) {
      tensors.push({
        name: `past_key_values.${l}.${side}`,
        dtype: "F32",
        shape: [1, KV_HEADS, tokens, HEAD_DIM],
        data: (async function* () {
          let seed = l * 2 + (side === "key" ? 1 : 2);
          for (let left = count; left > 0; left -= 1 << 18) {
            const values = new Float32Array(Math.min(left, 1 << 18));
            for (let j = 0; j < values.length; j++) {
              seed = (seed * 1664525 + 1013904223) >>> 0;
              values[j] = seed / 2 ** 32 - 0.5;
            }
            yield new Uint8Array(values.buffer);
          }
        })(),
      });
    }
  }
  const metadata = kvMetadata({
    baseModel: MODEL._name_or_path,
    tokenizerSha256: TOKENIZER_SHA256,
    dtype: "F32",
    ids,
  });
  await pipeline(Readable.from(writeSafetensors(tensors, { ...metadata })), createWriteStream(path));
}

/** What curl measured: bytes, total seconds, GB/s and time to first byte. */
export type ClientRead = { bytes: number; seconds: number; gb_s: number; ttfb_ms: number };

/**
 * One read by curl, the client people download with (its buffers are large and it parses nothing
 * but headers, so the figure is the server's, not the client's; node's own http client tops out
 * near half of what the same server sends curl). `file://` reads the file directly.
 */
export async function curlRead(url: string, headers: Record<string, string> = {}): Promise<ClientRead> {
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      "curl",
      [
        "-sS",
        "--fail",
        "-o",
        "/dev/null",
        "-w",
        "%{size_download} %{time_total} %{time_starttransfer}",
        ...Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]),
        url,
      ],
      (error, stdout) => (error ? reject(new Error(error.message, { cause: error })) : resolve(stdout)),
    ),
  );
  const [bytes, seconds, first] = out.trim().split(" ").map(Number) as [number, number, number];
  return { bytes, seconds, gb_s: bytes / 1e9 / seconds, ttfb_ms: first * 1000 };
}

/**
 * Empties the kernel's page cache (after writing dirty pages back), so the next read comes from the
 * disk: what serving an artifact nobody asked for lately costs. Needs root on Linux; false elsewhere.
 */
export async function dropPageCache(): Promise<boolean> {
  await new Promise((resolve) => execFile("sync", resolve));
  try {
    writeFileSync("/proc/sys/vm/drop_caches", "3");
    return true;
  } catch {
    return false;
  }
}

/**
 * The transport's own ceiling: node:http in this process sending the blob as the API does (the
 * store's `sendTo`) with no routing, authentication or lookup, downloaded by the same client.
 */
export async function bareHttpServer(blobs: BlobStore, digest: string, size: number) {
  const bare = createServer((_, res) => {
    res.writeHead(200, { "content-length": String(size) });
    blobs.sendTo(digest, res).then(
      () => res.end(),
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`, close: () => bare.close() };
}
