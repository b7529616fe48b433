import { TINY_CONFIG, TINY_TOKENIZER, TINY_TOKENIZER_SHA256 } from "./binary-fixtures.ts";

/**
 * The authorization matrix's rows: for every REST route, a request the organisation's own full key
 * is answered for, and what two callers who must not reach it are answered: a key of the same
 * organisation bound to another vault, and the organisation's key aimed at another organisation's
 * object. No key, a revoked key, an expired key and a key without the route's scope are the same
 * for every route (401, 401, 401, 403), so the test derives them from the route's scope.
 */

/** The caller's organisation (A) and another (B): their objects, and makers of fresh ones. */
export type World = {
  a: {
    vault: string;
    /** The vault the bound key is bound to. */
    boundVault: string;
    cube: string;
    listing: string;
    memory: string;
    install: string;
    model: string;
    spareKey: string;
    /** A subscription installing into `vault`, outside the bound key's vault. */
    vaultSubscription: string;
  };
  b: {
    /** B's organisation slug. */
    slug: string;
    vault: string;
    cube: string;
    /** A draft of B's: unpublished, so never in the store. */
    draftListing: string;
    memory: string;
    install: string;
    subscription: string;
    key: string;
    model: string;
    /** B's entitlement to A's listing. */
    entitlement: string;
    /** A's entitlement to a listing B publishes: B's to revoke, never A's. */
    heldByA: string;
    /** That listing of B's, which A holds. */
    listedForA: string;
    /** A's pending request for a listing of B's sold on request. */
    accessRequest: string;
    /** A review of A's listing by an organisation that held it a week (not A). */
    review: string;
    /** A's review of a listing of B's: B's to reply to, never A's. */
    reviewedByA: string;
    /** A context B's agent was given from B's vault. */
    context: string;
  };
  fresh: {
    /** A unique name for what a call creates. */
    name(): string;
    /** A cube of A's with a 1.0.0 draft; with a payload uploaded when `uploaded`. */
    draft(uploaded?: boolean): Promise<string>;
    vault(): Promise<string>;
    memory(): Promise<string>;
    key(): Promise<string>;
    listing(): Promise<string>;
    /** A listing of A's cube, published (and then suspended, when asked). */
    publishedListing(suspended?: boolean): Promise<string>;
    /** An install of A's listing, in a vault of its own. */
    install(): Promise<{ vault: string; install: string }>;
    subscription(vaultId?: string): Promise<string>;
    /** A new organisation's entitlement to A's listing. */
    holder(): Promise<string>;
    /** A new organisation's pending request for A's listing sold on request. */
    accessRequest(): Promise<string>;
    /** A new listing of B's that A has held for a week: A may review it. */
    reviewable(): Promise<string>;
    /** A new organisation's review of A's listing. */
    review(): Promise<string>;
    /** A new context from A's vault, awaiting its feedback. */
    context(): Promise<string>;
  };
};

export type Call = {
  params?: Record<string, string>;
  body?: unknown;
  query?: string;
  raw?: { type: string; bytes: string | Uint8Array };
};

/** A status, or a status and the problem's code. */
export type Expect = number | readonly [number, string];
/** A list answered, with none of these ids in it. */
export type Hides = { status: 200; hides: (w: World) => string[] };

export type Row =
  /** A route anyone may call; its answer the route's success status unless `expect` says otherwise. */
  | { public: true; call: (w: World) => Call; expect?: Expect }
  | {
      public?: false;
      call: (w: World) => Promise<Call> | Call;
      /** The full key's answer; the route's own success status when left out. */
      allowed?: Expect;
      /**
       * A key with every scope bound to another vault: the same call (or its own), and the answer.
       * `ORG_WIDE`: the route acts on the whole organisation, which no vault-bound key reaches.
       */
      otherVault: Expect | Hides | { call: (w: World) => Promise<Call> | Call; expect: Expect };
      /**
       * A key with every scope bound to the vault the call aims at (`a.vault`): the full key's answer
       * unless this says otherwise; refused every `ORG_WIDE` route all the same.
       */
      inVault?: Expect | Hides | { call: (w: World) => Promise<Call> | Call; expect: Expect };
      /**
       * For a route aiming at a vault: the full key's answer when that vault is frozen — `refused`
       * (423 `vault_frozen`, nothing written), `served` (as when it is not), or an answer of its own.
       */
      frozen?: "refused" | "served" | Expect;
      /** Aimed at B's object (its own call), B's objects left out of a list, or null: no object to aim at. */
      otherOrg: { call: (w: World) => Promise<Call> | Call; expect: Expect } | Hides | null;
    };

const NOT_FOUND = [404, "not_found"] as const;
const FORBIDDEN = [403, "forbidden"] as const;
/** The whole organisation's business: refused to a key bound to any vault, whatever its scopes. */
export const ORG_WIDE = FORBIDDEN;
const NOT_A_PACK = [400, "invalid_input"] as const;
const MARKDOWN = { type: "text/markdown", bytes: "# Cranes\n\nStorm cranes are lashed at 40 knots.\n" };
const EVAL_SET = {
  type: "application/x-ndjson",
  bytes: '{"question":"At what wind are cranes lashed?","expect":{"contains":"40 knots"}}\n',
};
const derived = (w: World) => ({ slug: w.fresh.name(), title: "Derived" });
const merge = (cube: string) => ({
  sources: [
    { cube_id: cube, version: "1.0.0" },
    { cube_id: cube, version: "1.0.0" },
  ],
});
/** A's full key on B's object: not found, whatever the object. */
const onB = (call: (w: World) => Call) => ({ call, expect: NOT_FOUND });

export const MATRIX: Record<string, Row> = {
  "GET /api/v1/health": { public: true, call: () => ({}) },
  "GET /api/v1/keys/platform": { public: true, call: () => ({}) },
  // A link is its own credential: one not signed by the platform is no link at all.
  "GET /api/v1/payload-links/{token}": {
    public: true,
    call: () => ({ params: { token: "eyJ4IjoxfQ.AAAA" } }),
    expect: [404, "not_found"],
  },
  "GET /api/v1/blob-links/{token}": {
    public: true,
    call: () => ({ params: { token: "eyJkIjoic2hhMjU2OngifQ.AAAA" } }),
    expect: [404, "not_found"],
  },
  // Anyone may post; the signature is what is checked. This server takes no payments.
  "POST /api/v1/payments/stripe/webhook": {
    public: true,
    call: () => ({ raw: { type: "application/json", bytes: '{"id":"evt_x","type":"ping"}' } }),
    expect: [503, "payments_unconfigured"],
  },
  "POST /api/v1/entitlements/{entitlement_id}/revoke": {
    call: async (w) => ({ params: { entitlement_id: await w.fresh.holder() }, body: { reason: "matrix" } }),
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { entitlement_id: w.b.heldByA }, body: { reason: "matrix" } })),
  },
  "GET /api/v1/listings": {
    call: () => ({}),
    otherVault: ORG_WIDE,
    otherOrg: { status: 200, hides: (w) => [w.b.draftListing] },
  },
  "PATCH /api/v1/listings/{listing_id}": {
    call: async (w) => ({
      params: { listing_id: await w.fresh.listing() },
      body: { terms: { calls_per_day: 9 } },
    }),
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { listing_id: w.b.draftListing }, body: { terms: {} } })),
  },
  "POST /api/v1/listings/{listing_id}/offers": {
    call: async (w) => ({
      params: { listing_id: await w.fresh.publishedListing() },
      body: { org_slug: w.b.slug, pricing: { model: "free" } },
    }),
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({
      params: { listing_id: w.b.draftListing },
      body: { org_slug: w.b.slug, pricing: { model: "free" } },
    })),
  },
  "POST /api/v1/entitlements/{entitlement_id}/cancel": {
    // A's free entitlement to B's listing: the holder reaches it, and a free one has nothing to cancel.
    call: (w) => ({ params: { entitlement_id: w.b.heldByA } }),
    allowed: [409, "conflict"],
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { entitlement_id: w.b.entitlement } })),
  },
  "GET /api/v1/sales": {
    call: () => ({ query: "from=2026-01-01&to=2026-01-31" }),
    otherVault: ORG_WIDE,
    otherOrg: { status: 200, hides: (w) => [w.b.draftListing] },
  },
  "GET /api/v1/listings/{listing_id}/sections": {
    call: (w) => ({ params: { listing_id: w.a.listing }, query: "limit=10" }),
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { listing_id: w.b.draftListing } })),
  },
  "GET /api/v1/listings/{listing_id}/entitlements": {
    call: (w) => ({ params: { listing_id: w.a.listing } }),
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { listing_id: w.b.draftListing } })),
  },
  "GET /api/v1/usage": {
    call: () => ({ query: "from=2026-01-01&to=2026-01-31" }),
    otherVault: ORG_WIDE,
    otherOrg: { status: 200, hides: (w) => [w.b.install] },
  },
  // The matrix's server takes no payments: the payout account cannot be opened, only refused.
  "POST /api/v1/payouts/account": {
    call: () => ({}),
    allowed: [503, "payments_unconfigured"],
    otherVault: ORG_WIDE,
    otherOrg: null,
  },
  "GET /api/v1/payouts": {
    call: () => ({}),
    otherVault: ORG_WIDE,
    otherOrg: { status: 200, hides: (w) => [w.b.draftListing] },
  },
  "GET /api/v1/entitlements": {
    call: () => ({}),
    otherVault: ORG_WIDE,
    otherOrg: { status: 200, hides: (w) => [w.b.entitlement] },
  },

  "POST /api/v1/keys": {
    call: (w) => ({ body: { name: w.fresh.name(), scopes: ["vault:read"] } }),
    // A bound key may not mint an unbound one.
    otherVault: FORBIDDEN,
    inVault: FORBIDDEN,
    otherOrg: onB((w) => ({ body: { name: "x", scopes: ["vault:read"], vault_id: w.b.vault } })),
  },
  "GET /api/v1/keys": {
    call: () => ({}),
    otherVault: { status: 200, hides: (w) => [w.a.spareKey] },
    inVault: { status: 200, hides: (w) => [w.a.spareKey] },
    otherOrg: { status: 200, hides: (w) => [w.b.key] },
  },
  "DELETE /api/v1/keys/{key_id}": {
    call: async (w) => ({ params: { key_id: await w.fresh.key() } }),
    otherVault: NOT_FOUND,
    inVault: NOT_FOUND,
    otherOrg: onB((w) => ({ params: { key_id: w.b.key } })),
  },
  "GET /api/v1/keys/publisher": { call: () => ({}), otherVault: ORG_WIDE, otherOrg: null },
  // The caller's own organisation's chain only: there is no other organisation's to aim at.
  "POST /api/v1/store/listings/{listing_id}/access-requests": {
    // A's own listing: past authorization, a publisher does not ask for its own (409).
    call: (w) => ({ params: { listing_id: w.a.listing }, body: { message: "may we?" } }),
    allowed: [409, "conflict"],
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { listing_id: w.b.draftListing }, body: { message: "may we?" } })),
  },
  "GET /api/v1/access-requests": {
    call: () => ({}),
    otherVault: ORG_WIDE,
    otherOrg: null,
  },
  "GET /api/v1/listings/{listing_id}/access-requests": {
    call: (w) => ({ params: { listing_id: w.a.listing } }),
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { listing_id: w.b.draftListing } })),
  },
  "POST /api/v1/access-requests/{request_id}/approve": {
    call: async (w) => ({ params: { request_id: await w.fresh.accessRequest() }, body: {} }),
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { request_id: w.b.accessRequest }, body: {} })),
  },
  "POST /api/v1/access-requests/{request_id}/deny": {
    call: async (w) => ({ params: { request_id: await w.fresh.accessRequest() }, body: { reason: "no" } }),
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { request_id: w.b.accessRequest }, body: { reason: "no" } })),
  },
  "GET /api/v1/audit/export": {
    call: () => ({}),
    otherVault: ORG_WIDE,
    otherOrg: { status: 200, hides: (w) => [w.b.vault, w.b.memory, w.b.install] },
  },
  "GET /api/v1/audit/checkpoints": { call: () => ({}), otherVault: ORG_WIDE, otherOrg: null },
  "POST /api/v1/audit/checkpoints": { call: () => ({}), otherVault: ORG_WIDE, otherOrg: null },

  "POST /api/v1/base-models": {
    call: (w) => ({
      body: {
        name: `harbour/${w.fresh.name()}`,
        config: TINY_CONFIG,
        tokenizer_sha256: TINY_TOKENIZER_SHA256,
      },
    }),
    otherVault: ORG_WIDE,
    otherOrg: null,
  },
  "GET /api/v1/base-models": {
    call: () => ({}),
    otherVault: ORG_WIDE,
    otherOrg: { status: 200, hides: (w) => [w.b.model] },
  },
  "GET /api/v1/base-models/{model_id}": {
    call: (w) => ({ params: { model_id: w.a.model } }),
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { model_id: w.b.model } })),
  },
  "PUT /api/v1/base-models/{model_id}/tokenizer": {
    call: (w) => ({
      params: { model_id: w.a.model },
      raw: { type: "application/json", bytes: TINY_TOKENIZER },
    }),
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({
      params: { model_id: w.b.model },
      raw: { type: "application/json", bytes: TINY_TOKENIZER },
    })),
  },
  "PUT /api/v1/base-models/{model_id}/onnx": {
    // Not an ONNX model: past authorization, the model file itself is judged.
    call: (w) => ({
      params: { model_id: w.a.model },
      raw: { type: "application/octet-stream", bytes: "nope" },
    }),
    allowed: 422,
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({
      params: { model_id: w.b.model },
      raw: { type: "application/octet-stream", bytes: "nope" },
    })),
  },
  "POST /api/v1/trace": {
    call: () => ({ body: { text: "Storm cranes are lashed at 40 knots." } }),
    otherVault: ORG_WIDE,
    otherOrg: null,
  },

  "POST /api/v1/cubes": {
    call: (w) => ({ body: { slug: w.fresh.name(), type: "plaintext", title: "Matrix" } }),
    otherVault: ORG_WIDE,
    otherOrg: null,
  },
  "GET /api/v1/cubes": {
    call: () => ({}),
    otherVault: ORG_WIDE,
    otherOrg: { status: 200, hides: (w) => [w.b.cube] },
  },
  "GET /api/v1/cubes/{cube_id}": {
    call: (w) => ({ params: { cube_id: w.a.cube } }),
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { cube_id: w.b.cube } })),
  },
  "POST /api/v1/cubes/{cube_id}/versions": {
    call: async (w) => ({ params: { cube_id: await w.fresh.draft() }, body: { version: "2.0.0" } }),
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { cube_id: w.b.cube }, body: { version: "9.0.0" } })),
  },
  "GET /api/v1/cubes/{cube_id}/versions": {
    call: (w) => ({ params: { cube_id: w.a.cube } }),
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { cube_id: w.b.cube } })),
  },
  "PUT /api/v1/cubes/{cube_id}/versions/{version}/payload": {
    call: async (w) => ({ params: { cube_id: await w.fresh.draft(), version: "1.0.0" }, raw: MARKDOWN }),
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { cube_id: w.b.cube, version: "1.1.0" }, raw: MARKDOWN })),
  },
  "POST /api/v1/cubes/{cube_id}/versions/{version}/kv-snapshot": {
    // No such model: past authorization, the request itself is judged.
    call: (w) => ({
      params: { cube_id: w.a.cube, version: "1.0.0" },
      body: { base_model: "harbour/none", ...derived(w) },
    }),
    allowed: [422, "base_model_unknown"],
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({
      params: { cube_id: w.b.cube, version: "1.0.0" },
      body: { base_model: "harbour/none", ...derived(w) },
    })),
  },
  "POST /api/v1/cubes/{cube_id}/versions/{version}/rank-reduction": {
    // A plaintext cube is not a LoRA pack: past authorization, the source's type is judged.
    call: (w) => ({ params: { cube_id: w.a.cube, version: "1.0.0" }, body: { rank: 2, ...derived(w) } }),
    allowed: NOT_A_PACK,
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({
      params: { cube_id: w.b.cube, version: "1.0.0" },
      body: { rank: 2, ...derived(w) },
    })),
  },
  "POST /api/v1/cubes/lora-merge": {
    call: (w) => ({ body: { ...merge(w.a.cube), ...derived(w) } }),
    allowed: NOT_A_PACK,
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ body: { ...merge(w.b.cube), ...derived(w) } })),
  },
  "POST /api/v1/cubes/{cube_id}/versions/{version}/submit": {
    call: async (w) => ({ params: { cube_id: await w.fresh.draft(true), version: "1.0.0" } }),
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { cube_id: w.b.cube, version: "1.1.0" } })),
  },
  "GET /api/v1/cubes/{cube_id}/versions/{version}": {
    call: (w) => ({ params: { cube_id: w.a.cube, version: "1.0.0" } }),
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { cube_id: w.b.cube, version: "1.0.0" } })),
  },
  "PUT /api/v1/cubes/{cube_id}/versions/{version}/eval": {
    call: async (w) => ({ params: { cube_id: await w.fresh.draft(), version: "1.0.0" }, raw: EVAL_SET }),
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { cube_id: w.b.cube, version: "1.1.0" }, raw: EVAL_SET })),
  },
  // No version of the shared world is held: past authorization, a 409.
  "POST /api/v1/cubes/{cube_id}/versions/{version}/release": {
    call: (w) => ({ params: { cube_id: w.a.cube, version: "1.0.0" } }),
    allowed: [409, "conflict"],
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { cube_id: w.b.cube, version: "1.0.0" } })),
  },
  // A draft cannot be yanked, nor a standing version unyanked: past authorization, a 409 (no
  // ready version of the shared world is yanked under the other rows' feet).
  "POST /api/v1/cubes/{cube_id}/versions/{version}/yank": {
    call: async (w) => ({
      params: { cube_id: await w.fresh.draft(true), version: "1.0.0" },
      body: { reason: "wrong tide times", severity: "normal" },
    }),
    allowed: [409, "conflict"],
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({
      params: { cube_id: w.b.cube, version: "1.0.0" },
      body: { reason: "wrong tide times", severity: "normal" },
    })),
  },
  "POST /api/v1/cubes/{cube_id}/versions/{version}/unyank": {
    call: (w) => ({ params: { cube_id: w.a.cube, version: "1.0.0" } }),
    allowed: [409, "conflict"],
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { cube_id: w.b.cube, version: "1.0.0" } })),
  },
  "GET /api/v1/cubes/{cube_id}/versions/{version}/bundle": {
    call: (w) => ({ params: { cube_id: w.a.cube, version: "1.0.0" } }),
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { cube_id: w.b.cube, version: "1.0.0" } })),
  },
  // Not a tar: past authorization, the bundle itself is judged (and nothing is written).
  "POST /api/v1/bundles": {
    call: () => ({ raw: { type: "application/x-tar", bytes: "not a tar at all" } }),
    allowed: [422, "tar_invalid"],
    otherVault: ORG_WIDE,
    otherOrg: null,
  },
  "GET /api/v1/cubes/{cube_id}/versions/{version}/memos": {
    call: (w) => ({ params: { cube_id: w.a.cube, version: "1.0.0" } }),
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { cube_id: w.b.cube, version: "1.0.0" } })),
  },
  "GET /api/v1/vaults/{vault_id}/export": {
    frozen: "served",
    call: (w) => ({ params: { vault_id: w.a.vault } }),
    otherVault: NOT_FOUND,
    otherOrg: onB((w) => ({ params: { vault_id: w.b.vault } })),
  },
  "POST /api/v1/import/mem0": {
    call: () => ({ raw: { type: "application/json", bytes: '{"results":[]}' } }),
    allowed: [400, "invalid_input"],
    otherVault: ORG_WIDE,
    otherOrg: null,
  },
  "POST /api/v1/import/memos": {
    call: () => ({ raw: { type: "application/x-tar", bytes: "not a tar at all" } }),
    allowed: [422, "tar_invalid"],
    otherVault: ORG_WIDE,
    otherOrg: null,
  },
  "POST /api/v1/listings": {
    call: (w) => ({ body: { cube_id: w.a.cube, visibility: "public", pricing: { model: "free" } } }),
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ body: { cube_id: w.b.cube, visibility: "public", pricing: { model: "free" } } })),
  },
  "POST /api/v1/listings/{listing_id}/publish": {
    call: async (w) => ({ params: { listing_id: await w.fresh.listing() } }),
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { listing_id: w.b.draftListing } })),
  },

  ...Object.fromEntries(
    (["suspend", "resume", "retire"] as const).map((transition) => [
      `POST /api/v1/listings/{listing_id}/${transition}`,
      {
        call: async (w: World) => ({
          params: { listing_id: await w.fresh.publishedListing(transition === "resume") },
        }),
        otherVault: ORG_WIDE,
        otherOrg: onB((w) => ({ params: { listing_id: w.b.draftListing } })),
      },
    ]),
  ),
  "GET /api/v1/store/listings": {
    call: () => ({}),
    otherVault: ORG_WIDE,
    otherOrg: { status: 200, hides: (w) => [w.b.draftListing] },
  },
  "GET /api/v1/store/listings/{listing_id}": {
    call: (w) => ({ params: { listing_id: w.a.listing } }),
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { listing_id: w.b.draftListing } })),
  },
  "POST /api/v1/store/listings/{listing_id}/try": {
    // B's published listing: one question, answered.
    call: (w) => ({ params: { listing_id: w.b.listedForA }, body: { questions: ["what is in it?"] } }),
    allowed: 200,
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({
      params: { listing_id: w.b.draftListing },
      body: { questions: ["what is in it?"] },
    })),
  },
  // B publishes listings A holds: its page is public.
  "GET /api/v1/store/publishers/{slug}": { public: true, call: (w) => ({ params: { slug: w.b.slug } }) },
  "PATCH /api/v1/org/profile": {
    call: () => ({ body: { about: "Cranes, quays and the people who run them." } }),
    otherVault: ORG_WIDE,
    // The caller's own organisation's profile: there is no other one to aim at.
    otherOrg: null,
  },
  "GET /api/v1/store/listings/{listing_id}/reviews": {
    call: (w) => ({ params: { listing_id: w.a.listing } }),
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { listing_id: w.b.draftListing } })),
  },
  "POST /api/v1/store/listings/{listing_id}/reviews": {
    call: async (w) => ({
      params: { listing_id: await w.fresh.reviewable() },
      body: { rating: 5, title: "Useful", body: "It answered every question we had." },
    }),
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({
      params: { listing_id: w.b.draftListing },
      body: { rating: 5, title: "Useful", body: "It answered every question we had." },
    })),
  },
  "POST /api/v1/reviews/{review_id}/reply": {
    call: async (w) => ({ params: { review_id: await w.fresh.review() }, body: { body: "Thank you." } }),
    otherVault: ORG_WIDE,
    // A review of B's listing is public, but only B replies to it.
    otherOrg: {
      call: (w) => ({ params: { review_id: w.b.reviewedByA }, body: { body: "Thank you." } }),
      expect: FORBIDDEN,
    },
  },
  "POST /api/v1/reviews/{review_id}/report": {
    call: (w) => ({ params: { review_id: w.b.review }, body: { reason: "Off topic." } }),
    otherVault: ORG_WIDE,
    // Anyone signed in may report any review they can see: there is no other organisation's one to miss.
    otherOrg: null,
  },
  "POST /api/v1/store/listings/{listing_id}/acquire": {
    // B's listing, acquired already while the world was made: 200, the live entitlement.
    call: (w) => ({ params: { listing_id: w.b.listedForA } }),
    allowed: 200,
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { listing_id: w.b.draftListing } })),
  },
  "POST /api/v1/vaults": {
    call: (w) => ({ body: { name: w.fresh.name() } }),
    // A key bound to a vault makes nothing outside it.
    otherVault: ORG_WIDE,
    otherOrg: null,
  },
  "GET /api/v1/vaults": {
    call: () => ({}),
    otherVault: { status: 200, hides: (w) => [w.a.vault] },
    inVault: { status: 200, hides: (w) => [w.a.boundVault] },
    otherOrg: { status: 200, hides: (w) => [w.b.vault] },
  },
  // A hold is the organisation's: a fresh vault each time, so no other row meets a frozen one.
  "POST /api/v1/vaults/{vault_id}/freeze": {
    call: async (w) => ({ params: { vault_id: await w.fresh.vault() }, body: { reason: "legal hold" } }),
    frozen: [409, "conflict"],
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { vault_id: w.b.vault }, body: { reason: "legal hold" } })),
  },
  "POST /api/v1/vaults/{vault_id}/unfreeze": {
    call: async (w) => ({ params: { vault_id: await w.fresh.vault() }, body: {} }),
    allowed: [409, "conflict"],
    frozen: 200,
    otherVault: ORG_WIDE,
    otherOrg: onB((w) => ({ params: { vault_id: w.b.vault }, body: {} })),
  },
  "PATCH /api/v1/vaults/{vault_id}": {
    frozen: "refused",
    call: (w) => ({ params: { vault_id: w.a.vault }, body: { desensitise_on_write: false } }),
    otherVault: NOT_FOUND,
    otherOrg: onB((w) => ({ params: { vault_id: w.b.vault }, body: { desensitise_on_write: true } })),
  },
  "POST /api/v1/vaults/{vault_id}/installs": {
    frozen: "refused",
    call: async (w) => ({ params: { vault_id: await w.fresh.vault() }, body: { listing_id: w.a.listing } }),
    otherVault: NOT_FOUND,
    inVault: NOT_FOUND,
    otherOrg: onB((w) => ({ params: { vault_id: w.b.vault }, body: { listing_id: w.a.listing } })),
  },
  "GET /api/v1/vaults/{vault_id}/installs": {
    frozen: "served",
    call: (w) => ({ params: { vault_id: w.a.vault } }),
    otherVault: NOT_FOUND,
    otherOrg: onB((w) => ({ params: { vault_id: w.b.vault } })),
  },
  "DELETE /api/v1/vaults/{vault_id}/installs/{install_id}": {
    frozen: "refused",
    call: async (w) => {
      const { vault, install } = await w.fresh.install();
      return { params: { vault_id: vault, install_id: install } };
    },
    otherVault: NOT_FOUND,
    inVault: NOT_FOUND,
    otherOrg: onB((w) => ({ params: { vault_id: w.b.vault, install_id: w.b.install } })),
  },
  "GET /api/v1/vaults/{vault_id}/installs/{install_id}/history": {
    frozen: "served",
    call: (w) => ({ params: { vault_id: w.a.vault, install_id: w.a.install } }),
    otherVault: NOT_FOUND,
    otherOrg: onB((w) => ({ params: { vault_id: w.b.vault, install_id: w.b.install } })),
  },
  "GET /api/v1/vaults/{vault_id}/installs/{install_id}/diff": {
    frozen: "served",
    call: (w) => ({ params: { vault_id: w.a.vault, install_id: w.a.install } }),
    otherVault: NOT_FOUND,
    otherOrg: onB((w) => ({ params: { vault_id: w.b.vault, install_id: w.b.install } })),
  },
  // The install holds its listing's only version: an upgrade leaves it there, a rollback has nowhere to go.
  "POST /api/v1/vaults/{vault_id}/installs/{install_id}/upgrade": {
    frozen: "refused",
    call: (w) => ({ params: { vault_id: w.a.vault, install_id: w.a.install }, body: {} }),
    otherVault: NOT_FOUND,
    otherOrg: onB((w) => ({ params: { vault_id: w.b.vault, install_id: w.b.install }, body: {} })),
  },
  "POST /api/v1/vaults/{vault_id}/installs/{install_id}/rollback": {
    frozen: "refused",
    call: (w) => ({ params: { vault_id: w.a.vault, install_id: w.a.install }, body: {} }),
    allowed: [409, "conflict"],
    otherVault: NOT_FOUND,
    otherOrg: onB((w) => ({ params: { vault_id: w.b.vault, install_id: w.b.install }, body: {} })),
  },
  "GET /api/v1/vaults/{vault_id}/installs/{install_id}/payload": {
    frozen: "served",
    // Installed text is served by search: past authorization, the install's type is judged.
    call: (w) => ({ params: { vault_id: w.a.vault, install_id: w.a.install } }),
    allowed: [409, "conflict"],
    otherVault: NOT_FOUND,
    otherOrg: onB((w) => ({ params: { vault_id: w.b.vault, install_id: w.b.install } })),
  },
  "POST /api/v1/vaults/{vault_id}/installs/{install_id}/payload-link": {
    frozen: "served",
    call: (w) => ({ params: { vault_id: w.a.vault, install_id: w.a.install }, body: {} }),
    allowed: [409, "conflict"],
    otherVault: NOT_FOUND,
    otherOrg: onB((w) => ({ params: { vault_id: w.b.vault, install_id: w.b.install }, body: {} })),
  },
  "POST /api/v1/vaults/{vault_id}/search": {
    frozen: "served",
    call: (w) => ({ params: { vault_id: w.a.vault }, body: { query: "storm cranes" } }),
    otherVault: NOT_FOUND,
    otherOrg: onB((w) => ({ params: { vault_id: w.b.vault }, body: { query: "storm cranes" } })),
  },
  "POST /api/v1/vaults/{vault_id}/context": {
    frozen: "served",
    call: (w) => ({ params: { vault_id: w.a.vault }, body: { query: "storm cranes", max_tokens: 200 } }),
    otherVault: NOT_FOUND,
    otherOrg: onB((w) => ({
      params: { vault_id: w.b.vault },
      body: { query: "storm cranes", max_tokens: 200 },
    })),
  },
  // Feedback is the agent's account of a context it was given: a read key gives it, a freeze allows it.
  "POST /api/v1/vaults/{vault_id}/context/{context_id}/feedback": {
    frozen: "served",
    call: async (w) => ({
      params: { vault_id: w.a.vault, context_id: await w.fresh.context() },
      body: { used: [1] },
    }),
    otherVault: NOT_FOUND,
    otherOrg: onB((w) => ({ params: { vault_id: w.b.vault, context_id: w.b.context }, body: { used: [] } })),
  },
  "POST /api/v1/vaults/{vault_id}/memories": {
    frozen: "refused",
    call: (w) => ({ params: { vault_id: w.a.vault }, body: { text: "Berth 4 closes at 22:00." } }),
    otherVault: NOT_FOUND,
    otherOrg: onB((w) => ({ params: { vault_id: w.b.vault }, body: { text: "Berth 4 closes at 22:00." } })),
  },
  "GET /api/v1/vaults/{vault_id}/memories": {
    frozen: "served",
    call: (w) => ({ params: { vault_id: w.a.vault } }),
    otherVault: NOT_FOUND,
    otherOrg: onB((w) => ({ params: { vault_id: w.b.vault } })),
  },
  "GET /api/v1/vaults/{vault_id}/memories/{memory_id}": {
    frozen: "served",
    call: (w) => ({ params: { vault_id: w.a.vault, memory_id: w.a.memory } }),
    otherVault: NOT_FOUND,
    otherOrg: onB((w) => ({ params: { vault_id: w.b.vault, memory_id: w.b.memory } })),
  },
  "PATCH /api/v1/vaults/{vault_id}/memories/{memory_id}": {
    frozen: "refused",
    call: (w) => ({ params: { vault_id: w.a.vault, memory_id: w.a.memory }, body: { tags: ["matrix"] } }),
    otherVault: NOT_FOUND,
    otherOrg: onB((w) => ({ params: { vault_id: w.b.vault, memory_id: w.b.memory }, body: { tags: ["x"] } })),
  },
  "DELETE /api/v1/vaults/{vault_id}/memories/{memory_id}": {
    frozen: "refused",
    call: async (w) => ({ params: { vault_id: w.a.vault, memory_id: await w.fresh.memory() } }),
    otherVault: NOT_FOUND,
    otherOrg: onB((w) => ({ params: { vault_id: w.b.vault, memory_id: w.b.memory } })),
  },
  "GET /api/v1/vaults/{vault_id}/heat": {
    call: (w) => ({ params: { vault_id: w.a.vault }, query: "limit=5&order=coldest" }),
    frozen: "served",
    otherVault: NOT_FOUND,
    otherOrg: onB((w) => ({ params: { vault_id: w.b.vault } })),
  },
  "POST /api/v1/vaults/{vault_id}/memories/merge": {
    call: async (w) => ({
      params: { vault_id: w.a.vault },
      body: { memory_ids: [await w.fresh.memory(), await w.fresh.memory()] },
    }),
    frozen: "refused",
    otherVault: NOT_FOUND,
    otherOrg: onB((w) => ({
      params: { vault_id: w.b.vault },
      body: { memory_ids: [w.b.memory, w.a.memory] },
    })),
  },
  // The shared memory is active: past authorization, restoring it as it is has nothing to do (409).
  "POST /api/v1/vaults/{vault_id}/memories/{memory_id}/restore": {
    call: (w) => ({ params: { vault_id: w.a.vault, memory_id: w.a.memory }, body: {} }),
    allowed: [409, "conflict"],
    frozen: [423, "vault_frozen"],
    otherVault: NOT_FOUND,
    otherOrg: onB((w) => ({ params: { vault_id: w.b.vault, memory_id: w.b.memory }, body: {} })),
  },
  "GET /api/v1/vaults/{vault_id}/memories/{memory_id}/history": {
    frozen: "served",
    call: (w) => ({ params: { vault_id: w.a.vault, memory_id: w.a.memory } }),
    otherVault: NOT_FOUND,
    otherOrg: onB((w) => ({ params: { vault_id: w.b.vault, memory_id: w.b.memory } })),
  },
  "GET /api/v1/vaults/{vault_id}/events": {
    frozen: "served",
    call: (w) => ({ params: { vault_id: w.a.vault } }),
    otherVault: NOT_FOUND,
    otherOrg: onB((w) => ({ params: { vault_id: w.b.vault } })),
  },

  "POST /api/v1/subscriptions": {
    call: (w) => ({ body: { filter: { listing_id: w.a.listing }, delivery: { sse: true } } }),
    // Installing on its own into a vault outside the key's binding.
    otherVault: {
      call: (w) => ({
        body: {
          filter: { listing_id: w.a.listing },
          delivery: { sse: true },
          auto_install: { vault_id: w.a.vault, version_policy: "latest" },
        },
      }),
      expect: NOT_FOUND,
    },
    // One without auto-install is the organisation's; one installing into the key's own vault is its own.
    inVault: FORBIDDEN,
    otherOrg: onB((w) => ({
      body: {
        filter: { listing_id: w.a.listing },
        delivery: { sse: true },
        auto_install: { vault_id: w.b.vault, version_policy: "latest" },
      },
    })),
  },
  "GET /api/v1/subscriptions": {
    call: () => ({}),
    otherVault: { status: 200, hides: (w) => [w.a.vaultSubscription] },
    otherOrg: { status: 200, hides: (w) => [w.b.subscription] },
  },
  "DELETE /api/v1/subscriptions/{subscription_id}": {
    call: async (w) => ({ params: { subscription_id: await w.fresh.subscription() } }),
    otherVault: {
      call: async (w) => ({ params: { subscription_id: await w.fresh.subscription(w.a.vault) } }),
      expect: NOT_FOUND,
    },
    // The organisation's subscriptions are out of its sight; its own vault's are its to delete.
    inVault: {
      call: async (w) => ({ params: { subscription_id: await w.fresh.subscription(w.a.vault) } }),
      expect: 204,
    },
    otherOrg: onB((w) => ({ params: { subscription_id: w.b.subscription } })),
  },
};
