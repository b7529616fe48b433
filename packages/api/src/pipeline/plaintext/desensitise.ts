import { Readable } from "node:stream";
import { governanceSchema, withPayload } from "@memstore/core";
import { cubeVersions, type VersionRow } from "@memstore/db";
import { type Desensitiser, resolvePolicy } from "@memstore/privacy";
import { eq } from "drizzle-orm";
import { saveArtifact } from "../../kernel/artifacts.ts";
import { deleteUnlessShared } from "../../kernel/blobs.ts";
import type { AppContext } from "../../kernel/context.ts";
import { desensitiserFor, peopleAndPlacesBy } from "../../kernel/desensitiser.ts";
import { InputRejected } from "../input-rejected.ts";
import { readLines } from "../source-lines.ts";
import type { Report } from "../stage-runner.ts";
import { memoryItems, plaintextFormatOf } from "./items.ts";

/** Room for what operators add (an encrypted value is about three times its plaintext). */
const GROWTH = 4;

/**
 * The `desensitise` stage: applies the version's `pii_policy` (and the publisher's own recognisers)
 * to every memory item's text and string metadata, or to every line of a document, in one pass so a
 * pseudonym means the same person throughout the cube. The result is stored as the `desensitised`
 * artifact, from which `convert` chunks; the source never reaches the search index. A version whose
 * residual findings hold a high-risk type the policy does not keep is rejected (`pii_residual`).
 */
export async function desensitiseText(ctx: AppContext, version: VersionRow): Promise<Report> {
  const versionId = version.id;
  const { format, digest } = plaintextFormatOf(version);
  // Parsed again for the defaults of fields added since the version was created.
  const governance = governanceSchema.parse(version.manifest.governance);
  const desensitiser = desensitiserFor(
    ctx,
    version.orgId,
    resolvePolicy(governance.pii_policy),
    governance.pii_recognizers,
  );
  const lines = readLines(await ctx.blobs.get(digest), digest);
  async function* output() {
    if (format === "jsonl") {
      for await (const batch of batches(memoryItems(lines), BATCH)) {
        yield (await desensitiseItems(desensitiser, batch))
          .map((item) => `${JSON.stringify(item)}\n`)
          .join("");
      }
    } else {
      for await (const batch of batches(lines, BATCH)) {
        const clean = await desensitiser.applyAll(
          batch.map((l) => ({ text: l.text, where: `line ${l.number}` })),
        );
        yield clean.map((text) => `${text}\n`).join("");
      }
    }
  }
  const stored = await ctx.blobs.put(Readable.from(output()), {
    maxBytes: ctx.config.MAX_PLAINTEXT_BYTES * GROWTH,
  });
  const report = { format, people_and_places: peopleAndPlacesBy(ctx), ...desensitiser.report() };
  const blocking = desensitiser.blockingTypes;
  if (blocking.length > 0) {
    await deleteUnlessShared(ctx, stored.digest);
    throw new InputRejected(
      {
        code: "pii_residual",
        message: `residual high-risk personal data the policy does not keep: ${blocking.join(", ")}`,
      },
      report,
    );
  }
  await ctx.db.transaction(async (tx) => {
    await saveArtifact(tx, {
      versionId,
      role: "desensitised",
      ...stored,
      contentType: version.contentType,
    });
    await tx
      .update(cubeVersions)
      .set({
        manifest: withPayload(version.manifest, {
          desensitised: { digest: stored.digest, size: stored.size },
        }),
      })
      .where(eq(cubeVersions.id, versionId));
  });
  return { ...report, artifact: stored };
}

/** Items and lines go through in batches, so a PII model reads many texts per run. */
const BATCH = 32;

async function* batches<T>(source: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const value of source) {
    batch.push(value);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** Memory items with their text and every string of their metadata desensitised, in order. */
async function desensitiseItems(
  desensitiser: Desensitiser,
  batch: Array<{ item: { text: string; metadata?: unknown }; line: number }>,
) {
  const entries: Array<{ text: string; where: string }> = [];
  for (const { item, line } of batch) {
    entries.push({ text: item.text, where: `line ${line}` });
    mapStrings(item.metadata, (s) => (entries.push({ text: s, where: `line ${line} metadata` }), s));
  }
  const clean = await desensitiser.applyAll(entries);
  let next = 0;
  return batch.map(({ item }) => ({
    ...item,
    text: clean[next++]!,
    metadata: mapStrings(item.metadata, () => clean[next++]!),
  }));
}

function mapStrings(value: unknown, f: (s: string) => string): Record<string, unknown> {
  const walk = (v: unknown): unknown =>
    typeof v === "string"
      ? f(v)
      : Array.isArray(v)
        ? v.map(walk)
        : v && typeof v === "object"
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
          : v;
  return walk(value ?? {}) as Record<string, unknown>;
}
