import { AppError, baseModelOf, idSchema, semverSchema, type Subject, TAR } from "@memstore/core";
import { bytesOfFloats, type LoraConfig, loraKey, type TensorSource, writeLoraPack } from "@memstore/formats";
import { concatenateModules, type LoraModule, reduceRank } from "@memstore/inference";
import { z } from "zod";
import type { AppContext } from "../kernel/context.ts";
import { authorize } from "../kernel/authorize.ts";
import { adapterConfigOf, requireArtifact } from "../kernel/artifacts.ts";
import { loraModulesOf } from "../models/model-runs.ts";
import { assertSlugFree, derivedCubeFields, loadReadySource, publishDerived } from "./derived.ts";

/**
 * New LoRA packs made from the organisation's ready ones, published as new parametric cubes:
 * - merge: the exact weighted sum of several packs on one base model, by rank concatenation (each
 *   module's rank is the sum of the packs' ranks for it; nothing is approximated);
 * - rank reduction: one pack cut down to rank k by truncated SVD of each module's update, with the
 *   error that costs, per module and overall, in the answer and in the weights' `__metadata__`.
 * The new pack's modules all have scaling 1 unless kept as they were (alpha = rank, rank_pattern and
 * alpha_pattern naming the modules that differ from the most common rank).
 */

const sourceRef = z
  .object({
    cube_id: idSchema,
    version: semverSchema,
    /** The pack's weight in the sum (1: as it is; 0.5: half its effect; negative: subtracted). */
    weight: z
      .number()
      .finite()
      .min(-1000)
      .max(1000)
      .refine((w) => w !== 0, "a weight of 0 leaves the pack out: drop it from the sources")
      .default(1),
  })
  .strict();

export const mergeLoraInput = z
  .object({ sources: z.array(sourceRef).min(2).max(8), ...derivedCubeFields })
  .strict();

export const reduceRankInput = z
  .object({ rank: z.number().int().min(1).max(4096), ...derivedCubeFields })
  .strict();

type Pack = { label: string; baseModel: string; config: LoraConfig; modules: LoraModule[]; tags: string[] };

async function loadPack(ctx: AppContext, subject: Subject, ref: { cubeId: string; version: string }) {
  const { cube, version } = await loadReadySource(
    ctx,
    subject,
    ref,
    "parametric",
    "only LoRA packs (parametric) are merged or reduced",
  );
  const weights = await requireArtifact(ctx.db, version.id, "weights");
  const config = await adapterConfigOf(ctx, version.id);
  return {
    label: `${cube.slug}@${version.version}`,
    baseModel: baseModelOf(version.manifest),
    config,
    modules: await loraModulesOf(ctx, weights.digest, config),
    tags: cube.tags,
  } satisfies Pack;
}

const mostCommon = (values: number[]) => {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
};

/** A module path as a `rank_pattern` key matching it alone (PEFT reads keys as regular expressions). */
const patternKey = (path: string) => path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** adapter_config.json for modules of their own ranks and scalings (alpha = scaling · rank). */
function packConfig(baseModel: string, modules: readonly LoraModule[]): LoraConfig {
  const alphaOf = (m: LoraModule) => m.scaling * m.rank;
  const r = mostCommon(modules.map((m) => m.rank));
  const alpha = mostCommon(modules.filter((m) => m.rank === r).map(alphaOf));
  return {
    peft_type: "LORA",
    task_type: "CAUSAL_LM",
    base_model_name_or_path: baseModel,
    r,
    lora_alpha: alpha,
    use_rslora: false,
    bias: "none",
    target_modules: modules.map((m) => m.module),
    rank_pattern: Object.fromEntries(
      modules.filter((m) => m.rank !== r).map((m) => [patternKey(m.module), m.rank]),
    ),
    alpha_pattern: Object.fromEntries(
      modules.filter((m) => alphaOf(m) !== alpha).map((m) => [patternKey(m.module), alphaOf(m)]),
    ),
  };
}

function packTensors(modules: readonly LoraModule[]): TensorSource[] {
  return modules.flatMap((m) => [
    {
      name: loraKey(m.module, "A"),
      dtype: "F32",
      shape: [m.rank, m.inFeatures],
      data: bytesOfFloats(m.a, "F32"),
    },
    {
      name: loraKey(m.module, "B"),
      dtype: "F32",
      shape: [m.outFeatures, m.rank],
      data: bytesOfFloats(m.b, "F32"),
    },
  ]);
}

function publishPack(
  ctx: AppContext,
  subject: Subject,
  request: { slug: string; title: string },
  pack: { baseModel: string; modules: LoraModule[]; description: string; tags: string[] },
  metadata: Record<string, string>,
) {
  const modules = [...pack.modules].sort((a, b) => (a.module < b.module ? -1 : 1));
  return publishDerived(
    ctx,
    subject,
    { ...request, type: "parametric", description: pack.description, tags: pack.tags },
    writeLoraPack(packConfig(pack.baseModel, modules), packTensors(modules), metadata),
    TAR,
  );
}

export async function mergeLoraPacks(
  ctx: AppContext,
  subject: Subject,
  input: z.input<typeof mergeLoraInput>,
) {
  authorize(subject, "cube.write");
  const request = mergeLoraInput.parse(input);
  const labels = new Set<string>();
  const packs: (Pack & { weight: number })[] = [];
  for (const source of request.sources) {
    const pack = await loadPack(ctx, subject, { cubeId: source.cube_id, version: source.version });
    if (labels.has(pack.label))
      throw new AppError("invalid_input", `${pack.label} is named twice in sources`);
    labels.add(pack.label);
    packs.push({ ...pack, weight: source.weight });
  }
  const baseModel = packs[0]!.baseModel;
  const stranger = packs.find((p) => p.baseModel !== baseModel);
  if (stranger) {
    throw new AppError(
      "base_model_mismatch",
      `${stranger.label} adapts ${stranger.baseModel}, ${packs[0]!.label} adapts ${baseModel}: packs merge only on one base model`,
    );
  }
  await assertSlugFree(ctx, subject, request.slug);

  const byPath = new Map<string, { module: LoraModule; weight: number }[]>();
  for (const pack of packs) {
    for (const module of pack.modules) {
      byPath.set(module.module, [...(byPath.get(module.module) ?? []), { module, weight: pack.weight }]);
    }
  }
  const modules = [...byPath.values()].map((parts) => concatenateModules(parts));
  const sources = packs.map((p) => ({ pack: p.label, weight: p.weight, rank: p.config.r }));
  const created = await publishPack(
    ctx,
    subject,
    request,
    {
      baseModel,
      modules,
      description: `The exact merge of ${packs.map((p) => (p.weight === 1 ? p.label : `${p.weight} × ${p.label}`)).join(" + ")} on ${baseModel}: each module's update is the weighted sum of theirs (ranks concatenated).`,
      tags: [...new Set(packs.flatMap((p) => p.tags))],
    },
    { "memstore.merged_from": JSON.stringify(sources) },
  );
  return {
    ...created,
    base_model: baseModel,
    modules: modules.length,
    rank: Math.max(...modules.map((m) => m.rank)),
    sources,
  };
}

export async function reduceLoraRank(
  ctx: AppContext,
  subject: Subject,
  from: { cubeId: string; version: string },
  input: z.input<typeof reduceRankInput>,
) {
  authorize(subject, "cube.write");
  const request = reduceRankInput.parse(input);
  const pack = await loadPack(ctx, subject, from);
  const fromRank = Math.max(...pack.modules.map((m) => m.rank));
  if (request.rank >= fromRank) {
    throw new AppError(
      "invalid_input",
      `${pack.label} has rank ${fromRank}; a reduction asks for less (rank ${request.rank} given)`,
    );
  }
  await assertSlugFree(ctx, subject, request.slug);
  const reductions = pack.modules.map((m) => ({ path: m.module, ...reduceRank(m, request.rank) }));
  const errors = reductions.map((r) => r.relative_error);
  const worst = Math.max(...errors);
  const error = {
    relative_max: worst,
    relative_mean: errors.reduce((a, e) => a + e, 0) / errors.length,
    worst_module: reductions[errors.indexOf(worst)]!.path,
  };
  const modules = reductions.map((r) => ({
    module: r.path,
    relative_error: r.relative_error,
    // Share of the update's energy (Σσ²) the kept directions hold.
    energy_kept: 1 - r.relative_error ** 2,
  }));
  const created = await publishPack(
    ctx,
    subject,
    request,
    {
      baseModel: pack.baseModel,
      modules: reductions.map((r) => r.module),
      description: `${pack.label} reduced from rank ${fromRank} to ${request.rank} by truncated SVD of each module's update (relative error ${error.relative_mean.toFixed(4)} on average, ${error.relative_max.toFixed(4)} at most, in ${error.worst_module}).`,
      tags: pack.tags,
    },
    {
      "memstore.reduced_from": pack.label,
      "memstore.rank_reduction": JSON.stringify({ from_rank: fromRank, rank: request.rank, ...error }),
    },
  );
  return {
    ...created,
    base_model: pack.baseModel,
    rank: request.rank,
    from_rank: fromRank,
    error,
    modules,
  };
}
