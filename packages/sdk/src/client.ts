import { importPublicKey, type PublicKeyDocument, verifyManifest } from "@memstore/watermark/signing";

import {
  type Cube,
  type Install,
  type Listing,
  type Memory,
  MemStoreApiError,
  type Page,
  type SearchResult,
  type Subscription,
  type TraceResult,
  type UploadBody,
  type Version,
} from "./types.ts";
import { CommerceApi, type Pricing } from "./commerce.ts";
import { BundlesApi } from "./bundles.ts";
import { DownloadsApi } from "./downloads.ts";
import { vaultEvents } from "./events.ts";
import { enc, problemOf, qs, toStream } from "./http.ts";

export class MemStoreClient {
  private readonly baseUrl: string;

  /**
   * `purpose`: what this client's calls are for, sent as `MemStore-Purpose` (a listing whose terms
   * name purposes serves only calls for one of them).
   */
  constructor(options: { baseUrl: string; apiKey?: string; purpose?: string; fetch?: typeof fetch }) {
    this.baseUrl = options.baseUrl.replace(/\/$/, "");
    this.apiKey = options.apiKey;
    this.purpose = options.purpose;
    this.fetchImpl = options.fetch ?? fetch;
  }

  private readonly apiKey: string | undefined;
  private readonly purpose: string | undefined;
  private readonly fetchImpl: typeof fetch;
  /** Buying and selling: acquire, entitlements, revoke, sales, holders. */
  readonly commerce = new CommerceApi((method, path, body) => this.request(method, path, body));

  /** A vault's events, reconnecting with Last-Event-ID so none is missed; stop with `signal`. */
  events(vaultId: string, options?: Parameters<typeof vaultEvents>[2]) {
    return vaultEvents((m, p, init) => this.raw(m, p, undefined, init), vaultId, options);
  }
  /** Installed binary payloads to files: `client.downloads.payload(vault, install, file)`. */
  readonly downloads = new DownloadsApi((m, p, init) => this.raw(m, p, undefined, init));
  /** Signed bundles of versions, out and in. */
  readonly bundles = new BundlesApi((method, path, init) => this.raw(method, path, undefined, init));

  async request<T>(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<T> {
    const response = await this.raw(method, path, body, init);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  /** The response itself (a stream to read), once it is a success; a problem is thrown as MemStoreApiError. */
  async raw(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.apiKey) headers.set("authorization", `Bearer ${this.apiKey}`);
    if (this.purpose) headers.set("memstore-purpose", this.purpose);
    if (body !== undefined) headers.set("content-type", "application/json");
    const response = await this.fetchImpl(`${this.baseUrl}${path}`, {
      ...init,
      method,
      headers,
      body: body !== undefined ? JSON.stringify(body) : init.body,
    });
    if (!response.ok) throw new MemStoreApiError(response.status, await problemOf(response));
    return response;
  }

  health() {
    return this.request<{ status: string; db: string; queue: string; storage: string }>(
      "GET",
      "/api/v1/health",
    );
  }

  // Publishing
  createCube(input: { slug: string; type: string; title: string; description?: string; tags?: string[] }) {
    return this.request<Cube>("POST", "/api/v1/cubes", input);
  }
  listCubes(query: { limit?: number; cursor?: string } = {}) {
    return this.request<Page<Cube>>("GET", `/api/v1/cubes${qs(query)}`);
  }
  getCube(cubeId: string) {
    return this.request<Cube>("GET", `/api/v1/cubes/${enc(cubeId)}`);
  }
  createVersion(cubeId: string, input: { version: string; manifest?: Record<string, unknown> }) {
    return this.request<Version & { upload_url: string }>(
      "POST",
      `/api/v1/cubes/${enc(cubeId)}/versions`,
      input,
    );
  }
  getVersion(cubeId: string, version: string) {
    return this.request<Version>("GET", `/api/v1/cubes/${enc(cubeId)}/versions/${enc(version)}`);
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
  createListing(input: {
    cube_id: string;
    visibility: string;
    pricing: Record<string, unknown>;
    terms?: Record<string, unknown>;
  }) {
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
    },
  ) {
    return this.request<Listing>("PATCH", `/api/v1/listings/${enc(listingId)}`, patch);
  }
  /** Suspends, resumes or retires (final) a published listing. */
  setListingStatus(listingId: string, transition: "suspend" | "resume" | "retire") {
    return this.request<Listing>("POST", `/api/v1/listings/${enc(listingId)}/${transition}`);
  }
  /** The organisation's own listings, newest first. */
  listListings(query: { limit?: number; cursor?: string } = {}) {
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
  /**
   * Whether a version's manifest carries a valid platform signature. Pass the key you trust (pinned
   * from an earlier run, or published out of band); without one it is fetched from this server.
   */
  async verifyVersion(version: Pick<Version, "manifest" | "signature">, key?: PublicKeyDocument) {
    if (!version.signature) return false;
    const doc = key ?? (await this.platformKey());
    return verifyManifest(version.manifest, version.signature, importPublicKey(doc));
  }

  // Store and vaults
  searchStore(
    query: { q?: string; type?: string; tag?: string; free?: boolean; limit?: number; cursor?: string } = {},
  ) {
    return this.request<Page<Listing & { cube: Cube; publisher: { slug: string } }>>(
      "GET",
      `/api/v1/store/listings${qs(query)}`,
    );
  }
  getListing(listingId: string) {
    return this.request<Listing & Record<string, unknown>>("GET", `/api/v1/store/listings/${enc(listingId)}`);
  }
  /** See `commerce.acquire`: a paid listing answers a checkout to pay at. */
  acquire(listingId: string, input: { success_url?: string; cancel_url?: string } = {}) {
    return this.commerce.acquire(listingId, input);
  }
  createVault(input: { name: string }) {
    return this.request<{ id: string; name: string }>("POST", "/api/v1/vaults", input);
  }
  listVaults(query: { limit?: number; cursor?: string } = {}) {
    return this.request<Page<{ id: string; name: string }>>("GET", `/api/v1/vaults${qs(query)}`);
  }
  install(vaultId: string, input: { listing_id: string; version_policy?: string }) {
    return this.request<{ id: string; cube: Cube; version: string; state: string }>(
      "POST",
      `/api/v1/vaults/${enc(vaultId)}/installs`,
      input,
    );
  }
  listInstalls(vaultId: string) {
    return this.request<Page<Install>>("GET", `/api/v1/vaults/${enc(vaultId)}/installs`);
  }
  uninstall(vaultId: string, installId: string) {
    return this.request<void>("DELETE", `/api/v1/vaults/${enc(vaultId)}/installs/${enc(installId)}`);
  }
  /** The response carries `secret`, which signs webhook deliveries; it is never shown again. */
  createSubscription(input: {
    filter?: { listing_id?: string; tags?: string[]; types?: string[]; query?: string };
    delivery?: { webhook_url?: string; sse?: boolean };
    auto_install?: { vault_id: string; version_policy?: string };
  }) {
    return this.request<Subscription & { secret: string }>("POST", "/api/v1/subscriptions", input);
  }
  listSubscriptions(query: { limit?: number; cursor?: string } = {}) {
    return this.request<Page<Subscription>>("GET", `/api/v1/subscriptions${qs(query)}`);
  }
  deleteSubscription(subscriptionId: string) {
    return this.request<void>("DELETE", `/api/v1/subscriptions/${enc(subscriptionId)}`);
  }

  // Agents
  search(
    vaultId: string,
    input: {
      query: string;
      top_k?: number;
      filter?: { types?: string[]; tags?: string[]; cube_ids?: string[] };
      mode?: "hybrid" | "vector" | "keyword";
    },
  ) {
    return this.request<{
      results: SearchResult[];
      /** Installs left out because their terms license other purposes than this call's. */
      excluded: Array<{ install_id: string; code: "purpose_not_licensed" }>;
    }>("POST", `/api/v1/vaults/${enc(vaultId)}/search`, input);
  }
  createMemory(
    vaultId: string,
    input: { text: string; tags?: string[]; metadata?: Record<string, unknown>; ttl_days?: number },
  ) {
    return this.request<Memory>("POST", `/api/v1/vaults/${enc(vaultId)}/memories`, input);
  }
  listMemories(vaultId: string, query: { state?: string; limit?: number; cursor?: string } = {}) {
    return this.request<Page<Memory>>("GET", `/api/v1/vaults/${enc(vaultId)}/memories${qs(query)}`);
  }
  getMemory(vaultId: string, memoryId: string) {
    return this.request<Memory>("GET", `/api/v1/vaults/${enc(vaultId)}/memories/${enc(memoryId)}`);
  }
  updateMemory(
    vaultId: string,
    memoryId: string,
    input: { text?: string; tags?: string[]; metadata?: Record<string, unknown> },
  ) {
    return this.request<Memory>("PATCH", `/api/v1/vaults/${enc(vaultId)}/memories/${enc(memoryId)}`, input);
  }
  archiveMemory(vaultId: string, memoryId: string) {
    return this.request<Memory>("DELETE", `/api/v1/vaults/${enc(vaultId)}/memories/${enc(memoryId)}`);
  }
  memoryHistory(vaultId: string, memoryId: string) {
    return this.request<{ items: Array<Memory & { supersedes: string | null; is_current: boolean }> }>(
      "GET",
      `/api/v1/vaults/${enc(vaultId)}/memories/${enc(memoryId)}/history`,
    );
  }

  // Keys
  createKey(input: { name: string; scopes: string[]; vault_id?: string; expires_at?: string }) {
    return this.request<{ id: string; key: string }>("POST", "/api/v1/keys", input);
  }
  listKeys(query: { limit?: number; cursor?: string } = {}) {
    return this.request<Page<{ id: string; name: string; scopes: string[]; revoked_at: string | null }>>(
      "GET",
      `/api/v1/keys${qs(query)}`,
    );
  }
  revokeKey(keyId: string) {
    return this.request<void>("DELETE", `/api/v1/keys/${enc(keyId)}`);
  }
}
