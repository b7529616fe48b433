import { sql } from "@memstore/db";
import type { AppContext } from "../kernel/context.ts";
import { candidatesFor, rankedHits } from "./ranked-hits.ts";
import type { Row, Scope } from "./queries.ts";

/**
 * The platform's search over one version's chunks alone — hybrid, fused as a vault's search fuses
 * it, every chunk scanned exactly (no index approximation: a measure must not wobble) — for the
 * evaluation of a version and a buyer's questions before buying. The chunks as stored: the caller
 * decides what of them anyone sees.
 */
export async function searchVersion(
  ctx: AppContext,
  at: { versionId: string; chunks: number; query: string; topK: number },
): Promise<Row[]> {
  const input = { query: at.query, top_k: at.topK, mode: "hybrid" as const, filter: {} };
  const ranked = await rankedHits(ctx, versionScope(at.versionId, at.chunks), input, candidatesFor(input));
  return ranked.slice(0, at.topK).map((r) => r.hit);
}

function versionScope(versionId: string, chunks: number): Scope {
  return {
    versions: [
      {
        version_id: versionId,
        install_id: "",
        cube_id: "",
        cube_slug: "",
        version: "",
        publisher: "",
        canaries: false,
        marks: "off",
        chunks,
        listing_id: "",
        share_cap: null,
      },
    ],
    chunkWhere: sql`ch.version_id = ${versionId}`,
    memoryWhere: sql`false`,
    plan: "exact",
    indexChunks: chunks,
  };
}
