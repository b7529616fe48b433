import { Readable } from "node:stream";
import {
  AppError,
  jsonValueProblem,
  type MemoryItem,
  slugify,
  slugSchema,
  type Subject,
} from "@memstore/core";
import { readTar, tarSize, writeTar } from "@memstore/formats";
import semver from "semver";
import { z } from "zod";
import type { AppContext } from "../kernel/context.ts";
import { authorize } from "../kernel/authorize.ts";
import { createCube } from "../catalog/cubes.ts";
import { cubeWithSlug, versionChunks, versionNumbers } from "../catalog/queries.ts";
import { organizationById } from "../identity/queries.ts";
import { uploadPayload } from "../catalog/payload-upload.ts";
import { createVersionInput } from "../catalog/schemas.ts";
import { createVersion, loadOwnVersion } from "../catalog/versions.ts";
import { versionView } from "../kernel/views.ts";
import { memosCubeFiles, type MemosReading, readMemosConfig, readMemosTextual } from "./memos-format.ts";

/** Where an imported MemOS cube goes: a cube of this slug (else one made from its `cube_id`), titled so. */
export const importMemosQuery = z
  .object({
    slug: slugSchema.optional(),
    title: z.string().trim().min(1).max(200).optional(),
  })
  .strict();

const PICKLE_ADVICE =
  "MemOS's activation_memory.pickle is a pickled KV cache, and MemStore never unpickles (a pickle runs code). Load it in MemOS, write its key and value tensors as safetensors (past_key_values.<layer>.key / .value), and publish that file as an activation cube.";

/**
 * Imports a MemOS cube directory (a tar of it) as a draft version of a plaintext cube: its textual
 * memories (either backend) become JSONL memory items — text, tags and metadata kept, vectors
 * dropped (MemStore embeds them itself), an archived memory kept as ended, a deleted one left out.
 * An activation pickle is refused (415 pickle_refused, with how to convert it); a parametric
 * adapter is reported, not imported (LoRA packs come as PEFT tars).
 */
export async function importMemos(
  ctx: AppContext,
  subject: Subject,
  body: AsyncIterable<Uint8Array>,
  query: z.infer<typeof importMemosQuery>,
) {
  authorize(subject, "cube.write");
  const files = new Map<string, string>();
  const notes: string[] = [];
  const limit = ctx.config.MAX_PLAINTEXT_BYTES;
  for await (const entry of readTar(body, { maxEntries: 64, maxBytes: limit * 2 })) {
    const name = entry.path.split("/").pop()!;
    if (name.endsWith(".pickle")) throw new AppError("pickle_refused", PICKLE_ADVICE, { file: entry.path });
    if (name.endsWith(".json")) {
      if (entry.size > limit) throw new AppError("payload_too_large", `${entry.path} is over ${limit} bytes`);
      const parts: Uint8Array[] = [];
      for await (const c of entry.chunks) parts.push(c);
      files.set(name, Buffer.concat(parts).toString("utf8"));
    } else if (name.endsWith(".adapter")) {
      notes.push(
        `${entry.path}: a parametric adapter (${entry.size} bytes) is not imported from MemOS; publish it as a PEFT LoRA pack (.tar)`,
      );
    }
  }
  const configText = files.get("config.json");
  if (!configText) throw new AppError("invalid_input", "the MemOS cube has no config.json");
  const config = readMemosConfig(configText);
  const named = config.text_mem?.config?.memory_filename;
  const memoryFile = typeof named === "string" ? named : "textual_memory.json";
  const textual = files.get(memoryFile);
  if (!textual)
    throw new AppError("invalid_input", `the MemOS cube has no ${memoryFile}: no textual memory to import`);
  const reading: MemosReading = readMemosTextual(textual);
  if (reading.items.length === 0)
    throw new AppError("invalid_input", `${memoryFile} holds no memory to import`);

  const { cube, row } = await importItems(ctx, subject, reading.items, {
    slug: query.slug ?? (slugify(config.cube_id ?? "") || "memos-cube"),
    title: query.title ?? config.cube_id,
    origin: "memos",
    source: `MemOS ${reading.backend} cube ${config.cube_id ?? ""}`.trim(),
  });
  return {
    cube_id: cube.id,
    version: versionView(row),
    backend: reading.backend,
    items: reading.items.length,
    skipped: reading.skipped,
    notes,
  };
}

/**
 * Memory items from another system as a draft version of the caller's plaintext cube of `slug`
 * (made if it has none; the next minor version if it has): one JSONL payload, uploaded as any other.
 */
export async function importItems(
  ctx: AppContext,
  subject: Subject,
  items: MemoryItem[],
  into: { slug: string; title: string | undefined; origin: string; source: string },
) {
  assertStorableItems(items);
  const existing = await cubeWithSlug(ctx.db, { orgId: subject.orgId, slug: into.slug });
  if (existing && existing.type !== "plaintext")
    throw new AppError(
      "conflict",
      `your cube '${into.slug}' is a ${existing.type} cube; memory imports into a plaintext one`,
    );
  const cube =
    existing ??
    (await createCube(ctx, subject, {
      slug: into.slug,
      type: "plaintext",
      title: into.title ?? into.slug,
      description: `Imported from ${into.source}.`,
      tags: [],
    }));
  const latest = (await versionNumbers(ctx.db, { cubeId: cube.id })).sort(semver.rcompare)[0];
  const version = latest ? semver.inc(latest, "minor")! : "1.0.0";
  await createVersion(
    ctx,
    subject,
    cube.id,
    createVersionInput.parse({
      version,
      manifest: {
        changelog: `Imported from ${into.source}.`,
        descriptive: { origin: into.origin, source: into.source },
        payload: { format: "jsonl" },
      },
    }),
  );
  const jsonl = items.map((i) => JSON.stringify(i)).join("\n") + "\n";
  await uploadPayload(
    ctx,
    subject,
    { cubeId: cube.id, version },
    Readable.from([Buffer.from(jsonl)]),
    "application/x-ndjson",
  );
  const { version: row } = await loadOwnVersion(ctx.db, subject, "cube.read", cube.id, version);
  return { cube, row };
}

/**
 * A ready plaintext version as a MemOS cube directory (a tar): `config.json` for the general
 * textual backend and `textual_memory.json` with one item per chunk (its text, heading as key,
 * tags, MemStore's provenance under `info`) and MemStore's embedding as its vector.
 */
export async function exportMemos(ctx: AppContext, subject: Subject, cubeId: string, version: string) {
  const { cube, version: row } = await loadOwnVersion(ctx.db, subject, "cube.read", cubeId, version);
  if (cube.type !== "plaintext")
    throw new AppError("conflict", "only plaintext cubes have MemOS textual memory");
  if (row.status !== "ready")
    throw new AppError("conflict", `version ${row.version} is ${row.status}, not ready`);
  const rows = await versionChunks(ctx.db, { versionId: row.id });
  const publisher = await organizationById(ctx.db, { orgId: cube.orgId });
  const files = memosCubeFiles(
    {
      slug: cube.slug,
      publisher: publisher!.slug,
      version: row.version,
      created: row.readyAt?.toISOString() ?? "",
    },
    { model: ctx.embedder.model, dimension: ctx.embedder.dimension },
    rows.map(({ validUntil, position: _, ...r }) => ({
      ...r,
      ended: validUntil !== null && validUntil < new Date(),
    })),
  );
  const entries = files.map((f) => ({ path: `${cube.slug}/${f.path}`, size: f.data.length, data: f.data }));
  return {
    filename: `${cube.slug}-${row.version}.memos.tar`,
    stream: writeTar(entries),
    size: tarSize(entries.map((e) => e.size)),
  };
}

/**
 * Refuses, before any cube or draft exists, an imported item that could not be stored: a NUL or a
 * lone surrogate in its text, tags or metadata, or metadata nested past the JSON depth limit.
 */
function assertStorableItems(items: readonly MemoryItem[]) {
  items.forEach((item, i) => {
    const problem = jsonValueProblem(item);
    if (!problem) return;
    const path = `items.${i}${problem.path ? `.${problem.path}` : ""}`;
    throw new AppError("invalid_input", `memory ${i + 1}: ${problem.path || "the item"} ${problem.message}`, {
      errors: [{ path, message: problem.message }],
    });
  });
}
