import type { Subject } from "@memstore/core";
import { queryRows, sql, toVectorLiteral } from "@memstore/db";
import type { AppContext } from "../kernel/context.ts";
import type { SearchInput } from "../search/schemas.ts";
import type { VisibleVersion } from "../search/queries.ts";
import { relevanceFloor } from "../search/relevance.ts";
import { payloadDownloadLink } from "../vaults/download-links.ts";
import { payloadLink } from "../vaults/payload-links.ts";
import { modulePassageTexts, writeModulePassages } from "../pipeline/binary/module-passages.ts";

/**
 * Module routing, MemScheduler's choice of memory type for the task at hand: which of the vault's
 * KV snapshots and LoRA packs fit a query. A module fits when one of its passages (title,
 * description, tags, the text it documents) is at least as similar to the query as the relevance
 * floor; one made for another base model than the agent's (`model`) never fits. Best first, each
 * with a five-minute download link.
 */
export type RoutedModule = {
  install_id: string;
  type: "activation" | "parametric";
  base_model: string;
  relevance: number;
  link: { url: string; expires_at: string };
};

type ModuleRow = {
  version_id: string;
  type: "activation" | "parametric";
  base_model: string | null;
  title: string;
  description: string;
  tags: string[];
  relevance: number | null;
};

export async function routedModules(
  ctx: AppContext,
  subject: Subject,
  at: { vaultId: string; visible: readonly VisibleVersion[]; origin: string },
  ask: { vector: Float32Array; filter: SearchInput["filter"]; model: string | undefined },
): Promise<RoutedModule[]> {
  const types = (["activation", "parametric"] as const).filter(
    (t) => !ask.filter.types || ask.filter.types.includes(t),
  );
  const installsOf = new Map<string, string[]>();
  for (const v of at.visible) {
    if (v.type === "plaintext") continue;
    if (ask.filter.cube_ids && !ask.filter.cube_ids.includes(v.cube_id)) continue;
    installsOf.set(v.version_id, [...(installsOf.get(v.version_id) ?? []), v.install_id]);
  }
  if (types.length === 0 || installsOf.size === 0) return [];
  const rows = await moduleRows(ctx, [...installsOf.keys()], types, ask.vector);
  const floor = relevanceFloor(ctx, ctx.config.MODULE_RELEVANCE_FLOOR);
  const wanted = ask.model?.toLowerCase();
  const fitting: Array<{ installId: string; row: ModuleRow; relevance: number }> = [];
  for (const row of rows) {
    if (!row.base_model || (wanted && row.base_model.toLowerCase() !== wanted)) continue;
    const relevance = row.relevance ?? (await describedNow(ctx, row, ask.vector));
    if (relevance < floor) continue;
    for (const installId of installsOf.get(row.version_id) ?? []) fitting.push({ installId, row, relevance });
  }
  fitting.sort((a, b) => b.relevance - a.relevance || a.installId.localeCompare(b.installId));
  return Promise.all(
    fitting.map(async ({ installId, row, relevance }) => ({
      install_id: installId,
      type: row.type,
      base_model: row.base_model!,
      relevance: Math.round(relevance * 1000) / 1000,
      link: await linkTo(ctx, subject, at, installId),
    })),
  );
}

/** The module versions among these, each with its best passage's similarity to the query (null: no passages yet). */
function moduleRows(ctx: AppContext, versionIds: string[], types: readonly string[], vector: Float32Array) {
  const dimension = ctx.embedder.dimension;
  return queryRows<ModuleRow>(
    ctx.db,
    sql`select cv.id as version_id, c.type, cv.manifest->'payload'->>'base_model' as base_model,
          cv.manifest->>'title' as title, coalesce(cv.manifest->>'description', '') as description,
          coalesce(array(select jsonb_array_elements_text(cv.manifest->'tags')), '{}') as tags,
          (select max(1 - (mp.embedding::vector(${sql.raw(String(dimension))}) <=> ${toVectorLiteral(vector)}::vector))::float8
             from module_passages mp where mp.version_id = cv.id and mp.embedding_dim = ${dimension}) as relevance
        from cube_versions cv join cubes c on c.id = cv.cube_id
        where cv.id = any(${sql.param(versionIds)}::text[]) and c.type = any(${sql.param([...types])}::text[])`,
  );
}

/** A version ingested before module passages existed: described by its manifest now, once. */
async function describedNow(ctx: AppContext, row: ModuleRow, vector: Float32Array): Promise<number> {
  const vectors = await writeModulePassages(ctx, ctx.db, row.version_id, modulePassageTexts(row, null));
  return Math.max(-1, ...vectors.map((v) => v.reduce((sum, x, i) => sum + x * vector[i]!, 0)));
}

/**
 * An agent's key gets a link that downloads as the key when it is used (counted then, refused once
 * the key is revoked); a signed-in user's is judged and counted now.
 */
async function linkTo(
  ctx: AppContext,
  subject: Subject,
  at: { vaultId: string; origin: string },
  installId: string,
) {
  const link =
    subject.kind === "api_key"
      ? await payloadLink(ctx, subject, at.vaultId, installId, undefined, at.origin)
      : await payloadDownloadLink(ctx, subject, at.vaultId, installId, undefined, at.origin);
  return { url: link.url, expires_at: link.expires_at };
}
