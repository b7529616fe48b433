import { newId, type Subject } from "@memstore/core";
import { type ContextPassage, type Db, sql } from "@memstore/db";
import type { AppContext } from "../kernel/context.ts";
import { rankedHits } from "../search/ranked-hits.ts";
import { type Hit, withVersions, type Scope } from "../search/queries.ts";
import type { SearchInput } from "../search/schemas.ts";
import { admittedSearch, exclusions } from "../search/search-vault.ts";
import { anyCapped, claimShare } from "../usage/share-cap.ts";
import { markingFor, servedText } from "../watermarking/served-text.ts";
import { type Laid, Packer, type Placed } from "./assemble.ts";
import { routedModules } from "./modules.ts";
import { PassageChooser } from "./passages.ts";
import { type ContextInput, MAX_CONTEXT_PASSAGES } from "./schemas.ts";
import { tokenizer } from "./tokens.ts";

/**
 * `POST /api/v1/vaults/{vault_id}/context`: the vault's best passages for a query as one block an
 * agent pastes as it is — within `max_tokens` of the named tokenizer, near-duplicates dropped, in
 * maximal-marginal-relevance order, grouped by source, each behind its citation mark — with the
 * installed KV snapshots and LoRA packs that fit the query. It is one agent call, admitted and
 * metered as a search is (one call per listing the vault holds); license purposes, entitlements and
 * share caps apply as they do to search, and the answer names what they left out.
 */
export async function vaultContext(
  ctx: AppContext,
  subject: Subject,
  vaultId: string,
  input: ContextInput,
  origin: string,
) {
  const { vault, scope, asOf } = await admittedSearch(ctx, subject, vaultId, input);
  const search: SearchInput = { query: input.query, top_k: 10, filter: input.filter, mode: "hybrid" };
  const vector = ctx.embedder.embed([input.query]).then(([v]) => v!);
  const k = candidatesFor(input.max_tokens);
  const [ranked, tokens, modules] = await Promise.all([
    rankedHits(ctx, scope, search, k, k, vector),
    tokenizer(input.tokenizer),
    // A link downloads what is installed now: a look at the past routes no module.
    asOf
      ? []
      : vector.then((v) =>
          routedModules(
            ctx,
            subject,
            { vaultId: vault.id, visible: vault.visible, origin },
            { vector: v, filter: input.filter, model: input.model },
          ),
        ),
  ]);
  const candidates = enoughFor(ranked.slice(0, k), input.max_tokens);
  const hits = withVersions(
    scope,
    candidates.map((r) => r.hit),
  );
  const marking = markingFor(ctx, subject.orgId);
  const chooser = new PassageChooser(
    hits.map((hit, i) => ({ item: hit, text: hit.text, score: candidates[i]!.score })),
    input.diversity,
  );
  const packer = new Packer<Hit>(chooser, tokens, input.max_tokens, ({ item }) =>
    placed(item, servedText(item, marking)),
  );
  packer.fill();
  const caps = new ShareCaps(ctx.db, subject.orgId, scope);
  let laid = await caps.settle(packer);
  if (!(await caps.allows(laid))) laid = { context: "", tokens: 0, passages: [] };
  if (!asOf)
    ctx.heat.note(
      vault.id,
      laid.passages.map((p) => p.item),
    );
  const id = recordContext(ctx, { orgId: subject.orgId, vaultId: vault.id, laid, scope });
  return {
    id,
    context: laid.context,
    tokens: laid.tokens,
    citations: laid.passages.map(({ n, item }) => citation(n, item)),
    modules,
    excluded: exclusions(vault.excluded, caps.overCap()),
  };
}

/** Characters a token holds in English prose, about: enough to estimate what a budget can take. */
const CHARS_PER_TOKEN = 4;

/**
 * The best candidates the budget could use (the fused list holds up to k from each side): enough
 * to fill it three times over at about four characters a token, and at least 20 — the rest would
 * only be profiled and marked to be left out.
 */
function enoughFor<T extends { hit: { text: string } }>(ranked: T[], maxTokens: number): T[] {
  let chars = 0;
  let n = 0;
  while (n < ranked.length && (n < 20 || chars < maxTokens * CHARS_PER_TOKEN * 3))
    chars += ranked[n++]!.hit.text.length;
  return ranked.slice(0, n);
}

/** Candidates enough to fill the budget after duplicates and diversity take their share. */
const candidatesFor = (maxTokens: number) =>
  Math.min(MAX_CONTEXT_PASSAGES, Math.max(50, Math.ceil(maxTokens / 60)));

/**
 * A passage's group and heading: its cube's version and publisher, or the vault's own memories. A
 * chunk that opens with its Markdown heading keeps the heading's words, not its `#`s: the block's
 * own headings are the groups'.
 */
function placed(hit: Hit, served: string): Placed<Hit> {
  const text = served.replace(/^#{1,6}[ \t]+/, "");
  if (hit.source === "memory") return { item: hit, group: "memory", heading: "Your vault's memories", text };
  return {
    item: hit,
    group: `install:${hit.install_id}:${hit.version_id}`,
    heading: `${hit.cube_slug} ${hit.version} (${hit.publisher})`,
    text,
  };
}

function citation(n: number, hit: Hit) {
  if (hit.source === "memory") return { n, source: "memory" as const, memory_id: hit.id };
  return {
    n,
    source: "install" as const,
    install_id: hit.install_id!,
    cube: { slug: hit.cube_slug!, version: hit.version!, publisher: hit.publisher! },
    ...(hit.heading ? { section: hit.heading } : {}),
  };
}

/**
 * The share caps of the listings a context draws on (see usage/share-cap.ts): the capped passages
 * it would serve are claimed; those a cap refuses give their room to others, which are claimed in
 * turn (a few rounds; any still unclaimed then are left out).
 */
class ShareCaps {
  private readonly claimed = new Set<Hit>();
  private readonly refused = new Set<Hit>();
  private readonly cut = new Set<string>();
  private readonly byVersion: Map<string, Scope["versions"][number]>;

  constructor(
    private readonly db: Db,
    private readonly orgId: string,
    private readonly scope: Scope,
  ) {
    this.byVersion = new Map(scope.versions.map((v) => [v.version_id, v]));
  }

  async settle(packer: Packer<Hit>): Promise<Laid<Hit>> {
    for (let round = 0; round < 4; round++) {
      const fresh = packer.placed.map((p) => p.item).filter((hit) => this.unclaimed(hit));
      if (fresh.length === 0) break;
      await this.claim(fresh);
      packer.drop(this.refused);
      packer.fill();
    }
    packer.drop(new Set(packer.placed.map((p) => p.item).filter((hit) => this.unclaimed(hit))));
    return packer.finish();
  }

  /** Whether a laid block serves only claimed capped passages (a passage cut to fit is claimed here). */
  async allows(laid: Laid<Hit>): Promise<boolean> {
    const fresh = laid.passages.map((p) => p.item).filter((hit) => this.unclaimed(hit));
    if (fresh.length > 0) await this.claim(fresh);
    return laid.passages.every((p) => !this.refused.has(p.item));
  }

  overCap(): string[] {
    return [...this.cut];
  }

  private capOf(hit: Hit) {
    return hit.version_id ? (this.byVersion.get(hit.version_id)?.share_cap ?? null) : null;
  }

  private unclaimed(hit: Hit) {
    return this.capOf(hit) !== null && !this.claimed.has(hit) && !this.refused.has(hit);
  }

  private async claim(hits: Hit[]) {
    const candidates = hits.map((hit) => ({
      chunk_id: hit.id,
      listing_id: this.byVersion.get(hit.version_id!)!.listing_id,
      cap: this.capOf(hit),
    }));
    if (!anyCapped(candidates)) return;
    const { kept } = await claimShare(this.db, this.orgId, candidates, hits.length);
    const keptSet = new Set(kept);
    hits.forEach((hit, i) => {
      if (keptSet.has(i)) this.claimed.add(hit);
      else {
        this.refused.add(hit);
        this.cut.add(hit.install_id!);
      }
    });
  }
}

/**
 * Contexts being written by this process: feedback on one waits for its row (the agent may answer
 * before the write lands; another process finds it written by then).
 */
const writing = new Map<string, Promise<void>>();

/** The write of a context this process answered, if it is still under way. */
export const contextWritten = (id: string) => writing.get(id);

/**
 * Keeps what each citation mark stands for (never the query), for the agent's feedback. The answer
 * does not wait for it, and it commits without waiting for the disk, as the call count does: a
 * server crash may lose the last fraction of a second of contexts, whose feedback then answers 404.
 */
function recordContext(
  ctx: AppContext,
  at: { orgId: string; vaultId: string; laid: Laid<Hit>; scope: Scope },
) {
  const id = newId("ctx");
  const listingOf = new Map(at.scope.versions.map((v) => [v.version_id, v.listing_id]));
  const passages: ContextPassage[] = at.laid.passages.map(({ item }) =>
    item.source === "memory"
      ? { source: "memory", id: item.id }
      : {
          source: "install",
          id: item.id,
          install_id: item.install_id!,
          listing_id: listingOf.get(item.version_id!)!,
          section: item.heading ?? "",
        },
  );
  const written = ctx.db
    .execute(
      sql`insert into agent_contexts (id, org_id, vault_id, passages)
        select ${id}, ${at.orgId}, ${at.vaultId}, ${JSON.stringify(passages)}::jsonb
        where set_config('synchronous_commit', 'off', true) is not null`,
    )
    .then(
      () => undefined,
      (error: unknown) =>
        ctx.log(`context ${id} not recorded (its feedback will answer 404): ${String(error)}`),
    )
    .finally(() => writing.delete(id));
  writing.set(id, written);
  return id;
}
