import type { BodyOf, QueryOf } from "./contract.ts";
import type {
  AgentContext,
  AuditCheckpoint,
  AuditCheckpoints,
  Cube,
  Install,
  InstallDiff,
  InstallHistoryEntry,
  Listing,
  StoreListing,
  VaultHeat,
  Memory,
  Page,
  SearchResult,
  EventSubscription,
  Vault,
} from "./types.ts";
import { CommerceApi } from "./commerce.ts";
import { BundlesApi } from "./bundles.ts";
import { DownloadsApi } from "./downloads.ts";
import { vaultEvents } from "./events.ts";
import { enc, qs } from "./http.ts";
import { DerivationsApi, ModelsApi } from "./models.ts";
import { PublishingClient } from "./publishing.ts";

/**
 * MemStore's REST API v1: publishing (`PublishingClient`), the store, vaults, agents' memory and
 * keys, and the sub-APIs for commerce, downloads, events and bundles.
 */
export class MemStoreClient extends PublishingClient {
  /** Buying and selling: acquire, entitlements, revoke, sales, holders. */
  readonly commerce = new CommerceApi((method, path, body) => this.request(method, path, body));

  /** A vault's events, reconnecting with Last-Event-ID so none is missed; stop with `signal`. */
  events(vaultId: string, options?: Parameters<typeof vaultEvents>[2]) {
    return vaultEvents((m, p, init) => this.raw(m, p, undefined, init), vaultId, options);
  }
  /** Installed binary payloads to files: `client.downloads.payload(vault, install, file)`. */
  readonly downloads = new DownloadsApi((m, p, init) => this.raw(m, p, undefined, init));
  /** Signed bundles of versions, MemOS and Mem0 imports, MemOS and vault exports. */
  readonly bundles = new BundlesApi((method, path, init) => this.raw(method, path, undefined, init));
  /** Base models binary cubes are validated against. */
  readonly models = new ModelsApi((method, path, body, init) => this.request(method, path, body, init));
  /** New cubes derived from the organisation's ready versions. */
  readonly derive = new DerivationsApi((method, path, body, init) => this.request(method, path, body, init));

  // Store and vaults
  /**
   * The store's listings: with `q`, those that hold every word of it or are close in meaning (a
   * query nothing answers returns no items and `suggested_tags`); `sort`, `publisher`, `min_rating`.
   */
  searchStore(query: QueryOf<"/api/v1/store/listings", "get"> = {}) {
    return this.request<
      Page<Listing & { cube: Cube; publisher: { slug: string } }> & { suggested_tags?: string[] }
    >("GET", `/api/v1/store/listings${qs(query)}`);
  }
  getListing(listingId: string) {
    return this.request<StoreListing>("GET", `/api/v1/store/listings/${enc(listingId)}`);
  }
  /** See `commerce.acquire`: a paid listing answers a checkout to pay at. */
  acquire(listingId: string, input: BodyOf<"/api/v1/store/listings/{listing_id}/acquire", "post"> = {}) {
    return this.commerce.acquire(listingId, input);
  }
  createVault(input: BodyOf<"/api/v1/vaults", "post">) {
    return this.request<Vault>("POST", "/api/v1/vaults", input);
  }
  /** Renames a vault, or sets how memories written to it are desensitised. */
  updateVault(vaultId: string, patch: BodyOf<"/api/v1/vaults/{vault_id}", "patch">) {
    return this.request<Vault>("PATCH", `/api/v1/vaults/${enc(vaultId)}`, patch);
  }
  /** What the vault's agents use: memories and installed sections by search hits, hottest (or coldest) first. */
  vaultHeat(vaultId: string, query: QueryOf<"/api/v1/vaults/{vault_id}/heat", "get"> = {}) {
    return this.request<VaultHeat>("GET", `/api/v1/vaults/${enc(vaultId)}/heat${qs(query)}`);
  }
  /** Freezes a vault (scope `admin`): every write to it answers `423 vault_frozen` until it is unfrozen. */
  freezeVault(vaultId: string, input: BodyOf<"/api/v1/vaults/{vault_id}/freeze", "post">) {
    return this.request<Vault>("POST", `/api/v1/vaults/${enc(vaultId)}/freeze`, input);
  }
  /** Unfreezes a vault (scope `admin`): it takes writes again. */
  unfreezeVault(vaultId: string, input: BodyOf<"/api/v1/vaults/{vault_id}/unfreeze", "post"> = {}) {
    return this.request<Vault>("POST", `/api/v1/vaults/${enc(vaultId)}/unfreeze`, input);
  }
  listVaults(query: QueryOf<"/api/v1/vaults", "get"> = {}) {
    return this.request<Page<Vault>>("GET", `/api/v1/vaults${qs(query)}`);
  }
  install(vaultId: string, input: BodyOf<"/api/v1/vaults/{vault_id}/installs", "post">) {
    return this.request<Install>("POST", `/api/v1/vaults/${enc(vaultId)}/installs`, input);
  }
  listInstalls(vaultId: string) {
    return this.request<Page<Install>>("GET", `/api/v1/vaults/${enc(vaultId)}/installs`);
  }
  /** The versions an install has held, oldest first, and what moved it to each. */
  installHistory(vaultId: string, installId: string) {
    return this.request<{ items: InstallHistoryEntry[] }>(
      "GET",
      `/api/v1/vaults/${enc(vaultId)}/installs/${enc(installId)}/history`,
    );
  }
  /** What changed between two ready versions; by default the one the install holds and the newest. */
  installDiff(
    vaultId: string,
    installId: string,
    query: QueryOf<"/api/v1/vaults/{vault_id}/installs/{install_id}/diff", "get"> = {},
  ) {
    return this.request<InstallDiff>(
      "GET",
      `/api/v1/vaults/${enc(vaultId)}/installs/${enc(installId)}/diff${qs(query)}`,
    );
  }
  /** To the newest version the policy allows, or to a newer `version` named (the policy pinned to it). */
  upgradeInstall(
    vaultId: string,
    installId: string,
    input: BodyOf<"/api/v1/vaults/{vault_id}/installs/{install_id}/upgrade", "post"> = {},
  ) {
    return this.request<Install>(
      "POST",
      `/api/v1/vaults/${enc(vaultId)}/installs/${enc(installId)}/upgrade`,
      input,
    );
  }
  /** Back to the version held before, or to a named `version` the install held (the policy pinned to it). */
  rollbackInstall(
    vaultId: string,
    installId: string,
    input: BodyOf<"/api/v1/vaults/{vault_id}/installs/{install_id}/rollback", "post"> = {},
  ) {
    return this.request<Install>(
      "POST",
      `/api/v1/vaults/${enc(vaultId)}/installs/${enc(installId)}/rollback`,
      input,
    );
  }
  uninstall(vaultId: string, installId: string) {
    return this.request<void>("DELETE", `/api/v1/vaults/${enc(vaultId)}/installs/${enc(installId)}`);
  }
  /** An event subscription (filter, delivery, auto-install). The response carries `secret`, which signs webhook deliveries; it is never shown again. */
  createEventSubscription(input: BodyOf<"/api/v1/subscriptions", "post">) {
    return this.request<EventSubscription & { secret: string }>("POST", "/api/v1/subscriptions", input);
  }
  listEventSubscriptions(query: QueryOf<"/api/v1/subscriptions", "get"> = {}) {
    return this.request<Page<EventSubscription>>("GET", `/api/v1/subscriptions${qs(query)}`);
  }
  deleteEventSubscription(eventSubscriptionId: string) {
    return this.request<void>("DELETE", `/api/v1/subscriptions/${enc(eventSubscriptionId)}`);
  }
  /** @deprecated the event subscription's old name: use createEventSubscription. */
  createSubscription(input: Parameters<MemStoreClient["createEventSubscription"]>[0]) {
    return this.createEventSubscription(input);
  }
  /** @deprecated use listEventSubscriptions. */
  listSubscriptions(query: QueryOf<"/api/v1/subscriptions", "get"> = {}) {
    return this.listEventSubscriptions(query);
  }
  /** @deprecated use deleteEventSubscription. */
  deleteSubscription(eventSubscriptionId: string) {
    return this.deleteEventSubscription(eventSubscriptionId);
  }

  // Agents
  search(vaultId: string, input: BodyOf<"/api/v1/vaults/{vault_id}/search", "post">) {
    return this.request<{
      results: SearchResult[];
      /**
       * Installs left out, or cut short, and why: `purpose_not_licensed` (their terms license other
       * purposes than this call's), `share_cap` (the organisation received its day's share of the
       * listing: chunks it already received are still served, new ones are not).
       */
      excluded: Array<{ install_id: string; code: "purpose_not_licensed" | "share_cap" }>;
    }>("POST", `/api/v1/vaults/${enc(vaultId)}/search`, input);
  }
  /**
   * The vault's best passages for a query as one block to paste, within `max_tokens` of the named
   * tokenizer, near-duplicates dropped, each passage behind a citation mark; and the installed KV
   * snapshots and LoRA packs that fit the query.
   */
  context(vaultId: string, input: BodyOf<"/api/v1/vaults/{vault_id}/context", "post">) {
    return this.request<AgentContext>("POST", `/api/v1/vaults/${enc(vaultId)}/context`, input);
  }
  /** Which passages of a context the agent used (their marks), and whether it helped: once per context. */
  contextFeedback(
    vaultId: string,
    contextId: string,
    input: BodyOf<"/api/v1/vaults/{vault_id}/context/{context_id}/feedback", "post">,
  ) {
    return this.request<void>(
      "POST",
      `/api/v1/vaults/${enc(vaultId)}/context/${enc(contextId)}/feedback`,
      input,
    );
  }
  createMemory(vaultId: string, input: BodyOf<"/api/v1/vaults/{vault_id}/memories", "post">) {
    return this.request<Memory>("POST", `/api/v1/vaults/${enc(vaultId)}/memories`, input);
  }
  listMemories(vaultId: string, query: QueryOf<"/api/v1/vaults/{vault_id}/memories", "get"> = {}) {
    return this.request<Page<Memory>>("GET", `/api/v1/vaults/${enc(vaultId)}/memories${qs(query)}`);
  }
  getMemory(vaultId: string, memoryId: string) {
    return this.request<Memory>("GET", `/api/v1/vaults/${enc(vaultId)}/memories/${enc(memoryId)}`);
  }
  updateMemory(
    vaultId: string,
    memoryId: string,
    input: BodyOf<"/api/v1/vaults/{vault_id}/memories/{memory_id}", "patch">,
  ) {
    return this.request<Memory>("PATCH", `/api/v1/vaults/${enc(vaultId)}/memories/${enc(memoryId)}`, input);
  }
  archiveMemory(vaultId: string, memoryId: string) {
    return this.request<Memory>("DELETE", `/api/v1/vaults/${enc(vaultId)}/memories/${enc(memoryId)}`);
  }
  /** Merges 2 to 50 active memories into a new one (their texts joined, or `text`); the sources become `merged`. */
  mergeMemories(vaultId: string, input: BodyOf<"/api/v1/vaults/{vault_id}/memories/merge", "post">) {
    return this.request<Memory>("POST", `/api/v1/vaults/${enc(vaultId)}/memories/merge`, input);
  }
  /** Brings a memory back active, with the text of `version` (the current one's by default). */
  restoreMemory(
    vaultId: string,
    memoryId: string,
    input: BodyOf<"/api/v1/vaults/{vault_id}/memories/{memory_id}/restore", "post"> = {},
  ) {
    return this.request<Memory>(
      "POST",
      `/api/v1/vaults/${enc(vaultId)}/memories/${enc(memoryId)}/restore`,
      input,
    );
  }
  memoryHistory(vaultId: string, memoryId: string) {
    return this.request<{ items: Array<Memory & { supersedes: string | null; is_current: boolean }> }>(
      "GET",
      `/api/v1/vaults/${enc(vaultId)}/memories/${enc(memoryId)}/history`,
    );
  }

  // Audit
  /** The organisation's audit chain (scope `admin`), oldest first, as NDJSON: check it with `memstore audit verify`. */
  async auditExport(): Promise<{ stream: ReadableStream<Uint8Array>; contentType: string }> {
    const response = await this.raw("GET", "/api/v1/audit/export");
    return { stream: response.body!, contentType: response.headers.get("content-type") ?? "" };
  }
  /** The audit chain heads the platform signed, oldest first, with the platform key that signed them. */
  auditCheckpoints() {
    return this.request<AuditCheckpoints>("GET", "/api/v1/audit/checkpoints");
  }
  /** Has the platform sign the audit chain head now. */
  createAuditCheckpoint() {
    return this.request<AuditCheckpoint>("POST", "/api/v1/audit/checkpoints");
  }

  // Keys
  createKey(input: BodyOf<"/api/v1/keys", "post">) {
    return this.request<{ id: string; key: string }>("POST", "/api/v1/keys", input);
  }
  listKeys(query: QueryOf<"/api/v1/keys", "get"> = {}) {
    return this.request<Page<{ id: string; name: string; scopes: string[]; revoked_at: string | null }>>(
      "GET",
      `/api/v1/keys${qs(query)}`,
    );
  }
  revokeKey(keyId: string) {
    return this.request<void>("DELETE", `/api/v1/keys/${enc(keyId)}`);
  }
}
