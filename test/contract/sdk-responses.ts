/**
 * The SDK's answers cannot drift from the server's: for each SDK method, what the route it calls
 * answers (its handler's result, as JSON sends it) must be assignable to the type the SDK declares.
 * A field the server drops or renames, or a type it changes, fails `npm run typecheck` here, naming
 * the method. Request types are generated from the same routes (scripts/sdk-types.ts).
 */
import type { MemStoreClient } from "@memstore/sdk";
import type { auditRoutes } from "../../apps/web/src/rest/routes/audit.ts";
import type { commerceRoutes } from "../../apps/web/src/rest/routes/commerce.ts";
import type { contextRoutes } from "../../apps/web/src/rest/routes/context.ts";
import type { eventSubscriptionRoutes } from "../../apps/web/src/rest/routes/event-subscriptions.ts";
import type { keyRoutes } from "../../apps/web/src/rest/routes/keys.ts";
import type { organizationRoutes } from "../../apps/web/src/rest/routes/organization.ts";
import type { modelRoutes } from "../../apps/web/src/rest/routes/models.ts";
import type { portabilityRoutes } from "../../apps/web/src/rest/routes/portability.ts";
import type { provenanceRoutes } from "../../apps/web/src/rest/routes/provenance.ts";
import type { publishingRoutes } from "../../apps/web/src/rest/routes/publishing.ts";
import type { storeRoutes } from "../../apps/web/src/rest/routes/store.ts";
import type { systemRoutes } from "../../apps/web/src/rest/routes/system.ts";
import type { vaultRoutes } from "../../apps/web/src/rest/routes/vaults.ts";

type Routes = (
  | typeof auditRoutes
  | typeof commerceRoutes
  | typeof contextRoutes
  | typeof eventSubscriptionRoutes
  | typeof keyRoutes
  | typeof organizationRoutes
  | typeof modelRoutes
  | typeof portabilityRoutes
  | typeof provenanceRoutes
  | typeof publishingRoutes
  | typeof storeRoutes
  | typeof systemRoutes
  | typeof vaultRoutes
)[number];

/** What `JSON.stringify` makes of a value: dates as strings, functions and `undefined` left out. */
type Jsonified<T> = T extends { toJSON(): infer J }
  ? J
  : T extends readonly (infer U)[]
    ? Jsonified<U>[]
    : T extends object
      ? { [K in keyof T as T[K] extends (...args: never[]) => unknown ? never : K]: Jsonified<T[K]> }
      : T;

/** What a handler's result sends: a response made by `json()` its value, any other value itself. */
type Sent<R> = R extends Response ? (R extends { sent?: infer J } ? J : never) : R;

/** What route `M P` answers, as the client receives it (a 204's nothing as `void`). */
type Answer<M extends string, P extends string> = [Extract<Routes, { method: M; path: P }>] extends [never]
  ? never
  : Extract<Routes, { method: M; path: P }> extends { answers?: infer R }
    ? [R] extends [void | undefined | null]
      ? void
      : Jsonified<Sent<R>>
    : never;

/** True when the server's answer fits the SDK's declared result; else the two, to read in the error. */
type Fits<Served, Declared> = [Served] extends [never]
  ? { error: "no such route" }
  : [Served] extends [Declared]
    ? true
    : { served: Served; declared: Declared };
type Expect<T extends true> = T;

type Sdk<F> = F extends (...args: never[]) => Promise<infer R> ? R : never;
type C = MemStoreClient;

export type Checked = [
  Expect<Fits<Answer<"GET", "/api/v1/health">, Sdk<C["health"]>>>,
  Expect<Fits<Answer<"GET", "/api/v1/store/listings">, Sdk<C["searchStore"]>>>,
  Expect<Fits<Answer<"GET", "/api/v1/store/listings/{listing_id}">, Sdk<C["getListing"]>>>,
  Expect<Fits<Answer<"POST", "/api/v1/vaults">, Sdk<C["createVault"]>>>,
  Expect<Fits<Answer<"PATCH", "/api/v1/vaults/{vault_id}">, Sdk<C["updateVault"]>>>,
  Expect<Fits<Answer<"POST", "/api/v1/vaults/{vault_id}/freeze">, Sdk<C["freezeVault"]>>>,
  Expect<Fits<Answer<"GET", "/api/v1/vaults/{vault_id}/heat">, Sdk<C["vaultHeat"]>>>,
  Expect<Fits<Answer<"GET", "/api/v1/audit/checkpoints">, Sdk<C["auditCheckpoints"]>>>,
  Expect<Fits<Answer<"POST", "/api/v1/audit/checkpoints">, Sdk<C["createAuditCheckpoint"]>>>,
  Expect<Fits<Answer<"POST", "/api/v1/vaults/{vault_id}/unfreeze">, Sdk<C["unfreezeVault"]>>>,
  Expect<Fits<Answer<"GET", "/api/v1/vaults">, Sdk<C["listVaults"]>>>,
  Expect<Fits<Answer<"POST", "/api/v1/vaults/{vault_id}/installs">, Sdk<C["install"]>>>,
  Expect<Fits<Answer<"GET", "/api/v1/vaults/{vault_id}/installs">, Sdk<C["listInstalls"]>>>,
  Expect<Fits<Answer<"DELETE", "/api/v1/vaults/{vault_id}/installs/{install_id}">, Sdk<C["uninstall"]>>>,
  Expect<
    Fits<Answer<"GET", "/api/v1/vaults/{vault_id}/installs/{install_id}/history">, Sdk<C["installHistory"]>>
  >,
  Expect<Fits<Answer<"GET", "/api/v1/vaults/{vault_id}/installs/{install_id}/diff">, Sdk<C["installDiff"]>>>,
  Expect<
    Fits<Answer<"POST", "/api/v1/vaults/{vault_id}/installs/{install_id}/upgrade">, Sdk<C["upgradeInstall"]>>
  >,
  Expect<
    Fits<
      Answer<"POST", "/api/v1/vaults/{vault_id}/installs/{install_id}/rollback">,
      Sdk<C["rollbackInstall"]>
    >
  >,
  Expect<Fits<Answer<"POST", "/api/v1/subscriptions">, Sdk<C["createEventSubscription"]>>>,
  Expect<Fits<Answer<"GET", "/api/v1/subscriptions">, Sdk<C["listEventSubscriptions"]>>>,
  Expect<
    Fits<Answer<"DELETE", "/api/v1/subscriptions/{subscription_id}">, Sdk<C["deleteEventSubscription"]>>
  >,
  Expect<Fits<Answer<"POST", "/api/v1/vaults/{vault_id}/search">, Sdk<C["search"]>>>,
  Expect<Fits<Answer<"POST", "/api/v1/vaults/{vault_id}/context">, Sdk<C["context"]>>>,
  Expect<
    Fits<Answer<"POST", "/api/v1/vaults/{vault_id}/context/{context_id}/feedback">, Sdk<C["contextFeedback"]>>
  >,
  Expect<Fits<Answer<"GET", "/api/v1/listings/{listing_id}/sections">, Sdk<C["listingSections"]>>>,
  Expect<Fits<Answer<"POST", "/api/v1/vaults/{vault_id}/memories">, Sdk<C["createMemory"]>>>,
  Expect<Fits<Answer<"GET", "/api/v1/vaults/{vault_id}/memories">, Sdk<C["listMemories"]>>>,
  Expect<Fits<Answer<"GET", "/api/v1/vaults/{vault_id}/memories/{memory_id}">, Sdk<C["getMemory"]>>>,
  Expect<Fits<Answer<"PATCH", "/api/v1/vaults/{vault_id}/memories/{memory_id}">, Sdk<C["updateMemory"]>>>,
  Expect<Fits<Answer<"DELETE", "/api/v1/vaults/{vault_id}/memories/{memory_id}">, Sdk<C["archiveMemory"]>>>,
  Expect<
    Fits<Answer<"GET", "/api/v1/vaults/{vault_id}/memories/{memory_id}/history">, Sdk<C["memoryHistory"]>>
  >,
  Expect<Fits<Answer<"POST", "/api/v1/vaults/{vault_id}/memories/merge">, Sdk<C["mergeMemories"]>>>,
  Expect<
    Fits<Answer<"POST", "/api/v1/vaults/{vault_id}/memories/{memory_id}/restore">, Sdk<C["restoreMemory"]>>
  >,
  Expect<Fits<Answer<"POST", "/api/v1/keys">, Sdk<C["createKey"]>>>,
  Expect<Fits<Answer<"GET", "/api/v1/keys">, Sdk<C["listKeys"]>>>,
  Expect<Fits<Answer<"DELETE", "/api/v1/keys/{key_id}">, Sdk<C["revokeKey"]>>>,
  // Commerce
  Expect<Fits<Answer<"POST", "/api/v1/store/listings/{listing_id}/acquire">, Sdk<C["commerce"]["acquire"]>>>,
  Expect<Fits<Answer<"POST", "/api/v1/store/listings/{listing_id}/try">, Sdk<C["commerce"]["tryListing"]>>>,
  Expect<Fits<Answer<"GET", "/api/v1/store/listings/{listing_id}/reviews">, Sdk<C["commerce"]["reviews"]>>>,
  Expect<
    Fits<Answer<"POST", "/api/v1/store/listings/{listing_id}/reviews">, Sdk<C["commerce"]["writeReview"]>>
  >,
  Expect<Fits<Answer<"POST", "/api/v1/reviews/{review_id}/reply">, Sdk<C["commerce"]["replyToReview"]>>>,
  Expect<Fits<Answer<"POST", "/api/v1/reviews/{review_id}/report">, Sdk<C["commerce"]["reportReview"]>>>,
  Expect<Fits<Answer<"GET", "/api/v1/store/publishers/{slug}">, Sdk<C["commerce"]["publisher"]>>>,
  Expect<Fits<Answer<"PATCH", "/api/v1/org/profile">, Sdk<C["commerce"]["updateProfile"]>>>,
  Expect<Fits<Answer<"GET", "/api/v1/entitlements">, Sdk<C["commerce"]["entitlements"]>>>,
  Expect<Fits<Answer<"POST", "/api/v1/listings/{listing_id}/offers">, Sdk<C["commerce"]["offer"]>>>,
  Expect<
    Fits<
      Answer<"POST", "/api/v1/store/listings/{listing_id}/access-requests">,
      Sdk<C["commerce"]["requestAccess"]>
    >
  >,
  Expect<Fits<Answer<"GET", "/api/v1/access-requests">, Sdk<C["commerce"]["accessRequests"]>>>,
  Expect<
    Fits<
      Answer<"GET", "/api/v1/listings/{listing_id}/access-requests">,
      Sdk<C["commerce"]["incomingAccessRequests"]>
    >
  >,
  Expect<
    Fits<
      Answer<"POST", "/api/v1/access-requests/{request_id}/approve">,
      Sdk<C["commerce"]["approveAccessRequest"]>
    >
  >,
  Expect<
    Fits<Answer<"POST", "/api/v1/access-requests/{request_id}/deny">, Sdk<C["commerce"]["denyAccessRequest"]>>
  >,
  Expect<Fits<Answer<"POST", "/api/v1/entitlements/{entitlement_id}/cancel">, Sdk<C["commerce"]["cancel"]>>>,
  Expect<Fits<Answer<"POST", "/api/v1/entitlements/{entitlement_id}/revoke">, Sdk<C["commerce"]["revoke"]>>>,
  Expect<Fits<Answer<"GET", "/api/v1/sales">, Sdk<C["commerce"]["sales"]>>>,
  Expect<Fits<Answer<"GET", "/api/v1/usage">, Sdk<C["commerce"]["usage"]>>>,
  Expect<Fits<Answer<"POST", "/api/v1/payouts/account">, Sdk<C["commerce"]["payoutAccount"]>>>,
  Expect<Fits<Answer<"GET", "/api/v1/payouts">, Sdk<C["commerce"]["payouts"]>>>,
  Expect<Fits<Answer<"GET", "/api/v1/listings/{listing_id}/entitlements">, Sdk<C["commerce"]["holders"]>>>,
  // Models and derivations
  Expect<Fits<Answer<"GET", "/api/v1/base-models">, Sdk<C["models"]["list"]>>>,
  Expect<Fits<Answer<"GET", "/api/v1/base-models/{model_id}">, Sdk<C["models"]["get"]>>>,
  Expect<Fits<Answer<"POST", "/api/v1/base-models">, Sdk<C["models"]["register"]>>>,
  Expect<
    Fits<Answer<"PUT", "/api/v1/base-models/{model_id}/tokenizer">, Sdk<C["models"]["uploadTokenizer"]>>
  >,
  Expect<Fits<Answer<"PUT", "/api/v1/base-models/{model_id}/onnx">, Sdk<C["models"]["uploadOnnx"]>>>,
  Expect<
    Fits<
      Answer<"POST", "/api/v1/cubes/{cube_id}/versions/{version}/kv-snapshot">,
      Sdk<C["derive"]["kvSnapshot"]>
    >
  >,
  Expect<
    Fits<
      Answer<"POST", "/api/v1/cubes/{cube_id}/versions/{version}/rank-reduction">,
      Sdk<C["derive"]["rankReduction"]>
    >
  >,
  Expect<Fits<Answer<"POST", "/api/v1/cubes/lora-merge">, Sdk<C["derive"]["loraMerge"]>>>,
  // Publishing
  Expect<Fits<Answer<"POST", "/api/v1/cubes">, Sdk<C["createCube"]>>>,
  Expect<Fits<Answer<"GET", "/api/v1/cubes">, Sdk<C["listCubes"]>>>,
  Expect<Fits<Answer<"GET", "/api/v1/cubes/{cube_id}">, Sdk<C["getCube"]>>>,
  Expect<Fits<Answer<"POST", "/api/v1/cubes/{cube_id}/versions">, Sdk<C["createVersion"]>>>,
  Expect<Fits<Answer<"GET", "/api/v1/cubes/{cube_id}/versions">, Sdk<C["listVersions"]>>>,
  Expect<Fits<Answer<"GET", "/api/v1/cubes/{cube_id}/versions/{version}">, Sdk<C["getVersion"]>>>,
  Expect<Fits<Answer<"POST", "/api/v1/cubes/{cube_id}/versions/{version}/yank">, Sdk<C["yankVersion"]>>>,
  Expect<Fits<Answer<"POST", "/api/v1/cubes/{cube_id}/versions/{version}/unyank">, Sdk<C["unyankVersion"]>>>,
  Expect<Fits<Answer<"PUT", "/api/v1/cubes/{cube_id}/versions/{version}/eval">, Sdk<C["putEvalSet"]>>>,
  Expect<
    Fits<Answer<"POST", "/api/v1/cubes/{cube_id}/versions/{version}/release">, Sdk<C["releaseVersion"]>>
  >,
  Expect<Fits<Answer<"PUT", "/api/v1/cubes/{cube_id}/versions/{version}/payload">, Sdk<C["uploadPayload"]>>>,
  Expect<Fits<Answer<"POST", "/api/v1/cubes/{cube_id}/versions/{version}/submit">, Sdk<C["submitVersion"]>>>,
  Expect<Fits<Answer<"POST", "/api/v1/listings">, Sdk<C["createListing"]>>>,
  Expect<Fits<Answer<"POST", "/api/v1/listings/{listing_id}/publish">, Sdk<C["publishListing"]>>>,
  Expect<Fits<Answer<"PATCH", "/api/v1/listings/{listing_id}">, Sdk<C["updateListing"]>>>,
  Expect<
    Fits<
      Answer<"POST", `/api/v1/listings/{listing_id}/${"suspend" | "resume" | "retire"}`>,
      Sdk<C["setListingStatus"]>
    >
  >,
  Expect<Fits<Answer<"GET", "/api/v1/listings">, Sdk<C["listListings"]>>>,
  Expect<Fits<Answer<"POST", "/api/v1/trace">, Sdk<C["trace"]>>>,
  Expect<Fits<Answer<"GET", "/api/v1/keys/platform">, Sdk<C["platformKey"]>>>,
  Expect<Fits<Answer<"GET", "/api/v1/keys/publisher">, Sdk<C["publisherKey"]>>>,
];
