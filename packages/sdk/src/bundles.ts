import type { QueryOf } from "./contract.ts";
import { enc, qs, toStream } from "./http.ts";
import type { UploadBody, Version } from "./types.ts";

type Raw = (method: string, path: string, init?: RequestInit) => Promise<Response>;

/** What a MemOS import answers: the draft version, how many memories, what was left out and why. */
export type ImportedMemos = {
  cube_id: string;
  version: Version;
  backend: "general_text" | "tree_text";
  items: number;
  skipped: Array<{ id: string; reason: string }>;
  notes: string[];
};

/** What a Mem0 import answers: the draft version, how many memories, and what was left out and why. */
export type ImportedMem0 = {
  cube_id: string;
  version: Version;
  items: number;
  skipped: Array<{ id: string; reason: string }>;
};

/** What an import answers: the draft version made, and what was checked before anything was written. */
export type ImportedBundle = { version: Version; checked: string[] };

/**
 * Signed bundles (`client.bundles`): a ready version out as one tar (the signed manifest, its
 * signature, the license and the payload), and a bundle in as a draft version, verified first.
 */
export class BundlesApi {
  constructor(private readonly raw: Raw) {}

  /** The bundle's bytes as a stream (and its length), to write to a file or hand on. */
  async export(
    cubeId: string,
    version: string,
  ): Promise<{ stream: ReadableStream<Uint8Array>; size: number }> {
    const response = await this.raw("GET", `/api/v1/cubes/${enc(cubeId)}/versions/${enc(version)}/bundle`);
    return { stream: response.body!, size: Number(response.headers.get("content-length") ?? 0) };
  }

  /** Imports a bundle as a draft version of your cube of its slug; 422 bundle_invalid says what failed. */
  async import(body: UploadBody): Promise<ImportedBundle> {
    const stream = typeof body === "string" || body instanceof Uint8Array ? body : toStream(body);
    const response = await this.raw("POST", "/api/v1/bundles", {
      headers: { "content-type": "application/x-tar" },
      body: stream as BodyInit,
      duplex: "half",
    } as RequestInit);
    return (await response.json()) as ImportedBundle;
  }

  /** A MemOS cube directory (as a tar) imported as a draft version of a plaintext cube. */
  async importMemos(
    tar: UploadBody,
    query: QueryOf<"/api/v1/import/memos", "post"> = {},
  ): Promise<ImportedMemos> {
    const stream = typeof tar === "string" || tar instanceof Uint8Array ? tar : toStream(tar);
    const response = await this.raw("POST", `/api/v1/import/memos${qs(query)}`, {
      headers: { "content-type": "application/x-tar" },
      body: stream as BodyInit,
      duplex: "half",
    } as RequestInit);
    return (await response.json()) as ImportedMemos;
  }

  /** A Mem0 memory export (its JSON) imported as a draft version of a plaintext cube. */
  async importMem0(
    json: UploadBody,
    query: QueryOf<"/api/v1/import/mem0", "post"> = {},
  ): Promise<ImportedMem0> {
    const stream = typeof json === "string" || json instanceof Uint8Array ? json : toStream(json);
    const response = await this.raw("POST", `/api/v1/import/mem0${qs(query)}`, {
      headers: { "content-type": "application/json" },
      body: stream as BodyInit,
      duplex: "half",
    } as RequestInit);
    return (await response.json()) as ImportedMem0;
  }

  /**
   * A vault's memories (with their history) and the installed text its listings let it export, as
   * a stream: `jsonl` (one record per line), `memcube` (a tar) or `memos` (a MemOS directory as tar).
   */
  async exportVault(
    vaultId: string,
    format: "jsonl" | "memcube" | "memos" = "jsonl",
  ): Promise<{ stream: ReadableStream<Uint8Array>; contentType: string }> {
    const response = await this.raw("GET", `/api/v1/vaults/${enc(vaultId)}/export${qs({ format })}`);
    return { stream: response.body!, contentType: response.headers.get("content-type") ?? "" };
  }

  /** A ready plaintext version as a MemOS cube directory (a tar stream). */
  async exportMemos(
    cubeId: string,
    version: string,
  ): Promise<{ stream: ReadableStream<Uint8Array>; size: number }> {
    const response = await this.raw("GET", `/api/v1/cubes/${enc(cubeId)}/versions/${enc(version)}/memos`);
    return { stream: response.body!, size: Number(response.headers.get("content-length") ?? 0) };
  }
}
