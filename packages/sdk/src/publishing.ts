import type { BodyOf, QueryOf } from "./contract.ts";
import { importPublicKey, type PublicKeyDocument, verifyManifest } from "@memstore/watermark/signing";
import { BaseClient } from "./base-client.ts";
import type { Pricing } from "./commerce.ts";
import { enc, qs, toStream } from "./http.ts";
import type { Cube, Listing, Page, SectionUse, TraceResult, UploadBody, Version } from "./types.ts";

/** One question of an evaluation set: what a right answer contains, or the section that holds it. */
export type EvalQuestion = { question: string; expect: { contains: string } | { section: string } };

/** A publisher's calls: cubes, versions and their payloads, listings, provenance and tracing. */
export class PublishingClient extends BaseClient {
  // Publishing
  createCube(input: BodyOf<"/api/v1/cubes", "post">) {
    return this.request<Cube>("POST", "/api/v1/cubes", input);
  }
  listCubes(query: QueryOf<"/api/v1/cubes", "get"> = {}) {
    return this.request<Page<Cube>>("GET", `/api/v1/cubes${qs(query)}`);
  }
  getCube(cubeId: string) {
    return this.request<Cube>("GET", `/api/v1/cubes/${enc(cubeId)}`);
  }
  createVersion(cubeId: string, input: BodyOf<"/api/v1/cubes/{cube_id}/versions", "post">) {
    return this.request<Version & { upload_url: string }>(
      "POST",
      `/api/v1/cubes/${enc(cubeId)}/versions`,
      input,
    );
  }
  /** A cube's versions, newest first. */
  listVersions(cubeId: string, query: QueryOf<"/api/v1/cubes/{cube_id}/versions", "get"> = {}) {
    return this.request<Page<Version>>("GET", `/api/v1/cubes/${enc(cubeId)}/versions${qs(query)}`);
  }
  getVersion(cubeId: string, version: string) {
    return this.request<Version>("GET", `/api/v1/cubes/${enc(cubeId)}/versions/${enc(version)}`);
  }
  /** Yanks a ready version: no new install of it; installs on it move off it, or are noticed or suspended. */
  yankVersion(
    cubeId: string,
    version: string,
    input: BodyOf<"/api/v1/cubes/{cube_id}/versions/{version}/yank", "post">,
  ) {
    return this.request<Version>("POST", `/api/v1/cubes/${enc(cubeId)}/versions/${enc(version)}/yank`, input);
  }
  /** Makes a yanked version installable again (installs that moved off it stay where they went). */
  unyankVersion(cubeId: string, version: string) {
    return this.request<Version>("POST", `/api/v1/cubes/${enc(cubeId)}/versions/${enc(version)}/unyank`);
  }
  /**
   * Attaches a plaintext draft's evaluation set (questions, each with what a right answer contains or
   * the section that holds it); `max_recall_drop` holds the version if its recall@5 falls by more.
   */
  putEvalSet(
    cubeId: string,
    version: string,
    questions: string | EvalQuestion[],
    query: QueryOf<"/api/v1/cubes/{cube_id}/versions/{version}/eval", "put"> = {},
  ) {
    const body =
      typeof questions === "string" ? questions : questions.map((q) => JSON.stringify(q)).join("\n") + "\n";
    return this.request<{ questions: number; max_recall_drop: number | null }>(
      "PUT",
      `/api/v1/cubes/${enc(cubeId)}/versions/${enc(version)}/eval${qs(query)}`,
      undefined,
      { headers: { "content-type": "application/x-ndjson" }, body },
    );
  }
  /** Releases a version its evaluation held: offered and announced from now. */
  releaseVersion(cubeId: string, version: string) {
    return this.request<Version>("POST", `/api/v1/cubes/${enc(cubeId)}/versions/${enc(version)}/release`);
  }
  uploadPayload(cubeId: string, version: string, body: UploadBody, contentType: string, size?: number) {
    const headers: Record<string, string> = { "content-type": contentType };
    if (size !== undefined) headers["content-length"] = String(size);
    const stream = typeof body === "string" || body instanceof Uint8Array ? body : toStream(body);
    return this.request<{ digest: string; size: number }>(
      "PUT",
      `/api/v1/cubes/${enc(cubeId)}/versions/${enc(version)}/payload`,
      undefined,
      {
        headers,
        body: stream as BodyInit,
        duplex: "half",
      } as RequestInit,
    );
  }
  submitVersion(cubeId: string, version: string) {
    return this.request<{ status: "processing" }>(
      "POST",
      `/api/v1/cubes/${enc(cubeId)}/versions/${enc(version)}/submit`,
    );
  }
  /** Polls until the version is ready or rejected. */
  async waitForVersion(
    cubeId: string,
    version: string,
    options: { intervalMs?: number; timeoutMs?: number; onPoll?: (v: Version) => void } = {},
  ) {
    const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000);
    for (;;) {
      const v = await this.getVersion(cubeId, version);
      options.onPoll?.(v);
      if (v.status === "ready" || v.status === "rejected") return v;
      if (Date.now() > deadline) throw new Error(`version ${version} still ${v.status} after the timeout`);
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 500));
    }
  }
  createListing(input: BodyOf<"/api/v1/listings", "post">) {
    return this.request<Listing>("POST", "/api/v1/listings", input);
  }
  publishListing(listingId: string) {
    return this.request<Listing>("POST", `/api/v1/listings/${enc(listingId)}/publish`);
  }
  /** Edits a listing: words, price (new buyers at once, running subscriptions at renewal), terms, visibility. */
  updateListing(
    listingId: string,
    patch: {
      title?: string;
      description?: string;
      pricing?: Pricing;
      terms?: Record<string, unknown>;
      visibility?: string;
      marks?: Listing["marks"];
      access?: Listing["access"];
      preview?: boolean;
    },
  ) {
    return this.request<Listing>("PATCH", `/api/v1/listings/${enc(listingId)}`, patch);
  }
  /** Which sections of a listing buyers' agents used in contexts, most used first (summed over every buyer). */
  listingSections(listingId: string, query: QueryOf<"/api/v1/listings/{listing_id}/sections", "get"> = {}) {
    return this.request<{ listing_id: string; items: SectionUse[] }>(
      "GET",
      `/api/v1/listings/${enc(listingId)}/sections${qs(query)}`,
    );
  }
  /** Suspends, resumes or retires (final) a published listing. */
  setListingStatus(listingId: string, transition: "suspend" | "resume" | "retire") {
    return this.request<Listing>("POST", `/api/v1/listings/${enc(listingId)}/${transition}`);
  }
  /** The organisation's own listings, newest first. */
  listListings(query: QueryOf<"/api/v1/listings", "get"> = {}) {
    return this.request<Page<Listing & { installs: number; cube: { slug: string; title: string } }>>(
      "GET",
      `/api/v1/listings${qs(query)}`,
    );
  }
  /** Which subscribers a leaked text came from (the caller's own cubes only). */
  trace(text: string) {
    return this.request<TraceResult>("POST", "/api/v1/trace", { text });
  }

  // Provenance: every ready version's manifest is signed by the platform (ed25519 over RFC 8785 JSON).
  /** The platform's public key document. */
  platformKey() {
    return this.request<PublicKeyDocument>("GET", "/api/v1/keys/platform");
  }
  /** Admin: the organisation's key for values its `encrypt` operator replaced (the read is audited). */
  publisherKey() {
    return this.request<{ alg: "aes-256-gcm"; encryption_key: string }>("GET", "/api/v1/keys/publisher");
  }
  /**
   * Whether a version's manifest carries a valid platform signature. Pass the key you trust (pinned
   * from an earlier run, or published out of band); without one it is fetched from this server.
   */
  async verifyVersion(version: Pick<Version, "manifest" | "signature">, key?: PublicKeyDocument) {
    if (!version.signature) return false;
    const doc = key ?? (await this.platformKey());
    return verifyManifest(version.manifest, version.signature, importPublicKey(doc));
  }
}
