import { enc, toStream } from "./http.ts";
import type { UploadBody, Version } from "./types.ts";

type Raw = (method: string, path: string, init?: RequestInit) => Promise<Response>;

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
}
