import { createHash } from "node:crypto";
import { AppError } from "@memstore/core";
import type { BaseModelRow, Executor } from "@memstore/db";
import type { BaseModelRef } from "@memstore/formats";
import type { DecoderShape } from "@memstore/inference";
import { canonicalJson } from "@memstore/watermark/signing";
import { visibleModelNamed, visibleModelNames } from "./queries.ts";

/**
 * Which registered model a name means: a name belongs to the organisation that registered it, or to
 * the platform (registered by the operator). A publisher's cubes see its own names and the platform's.
 */

/** The numbers a decoder export of this model must have (see @memstore/inference). */
export function decoderShape(row: BaseModelRow): DecoderShape {
  const a = row.architecture;
  return { layers: a.layers, kvHeads: a.kvHeads, headDim: a.headDim, vocabSize: a.vocabSize };
}

/**
 * The model of this name a publisher's cube is validated against, or null: the publisher's own
 * registration, else the platform's. Another organisation's registration of the name is never it.
 */
export async function findBaseModel(
  db: Executor,
  name: string,
  publisherOrgId: string,
): Promise<(BaseModelRef & { row: BaseModelRow }) | null> {
  const row = await visibleModelNamed(db, { orgId: publisherOrgId, name });
  if (!row) return null;
  return { name: row.name, architecture: row.architecture, tokenizerSha256: row.tokenizerSha256, row };
}

/** The model a publisher's cube names, or 422 `base_model_unknown` listing what it may name. */
export async function requireBaseModel(db: Executor, name: string, publisherOrgId: string) {
  const found = await findBaseModel(db, name, publisherOrgId);
  if (found) return found;
  const known = await visibleModelNames(db, { orgId: publisherOrgId, limit: 20 });
  throw new AppError(
    "base_model_unknown",
    `base model '${name}' is not in the registry (${known.length ? `registered: ${known.join(", ")}` : "none is registered"}); an admin registers it with \`memstore admin register-model\` or POST /api/v1/base-models`,
  );
}

/** What a validated version records of the model it was checked against: its id and its config's digest. */
export function modelRecord(row: BaseModelRow) {
  return {
    base_model_id: row.id,
    base_model_config_sha256: createHash("sha256").update(canonicalJson(row.config)).digest("hex"),
  };
}
