import { Readable } from "node:stream";
import { AppError, type Manifest, type Subject } from "@memstore/core";
import { cubeVersions } from "@memstore/db";
import { keyIdOf } from "@memstore/watermark/signing";
import { eq } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit.ts";
import { deleteUnlessShared } from "../kernel/blobs.ts";
import type { AppContext } from "../kernel/context.ts";
import { actorOf, authorize } from "../kernel/authorize.ts";
import { createCube } from "../catalog/cubes.ts";
import { cubeWithSlug, versionById, versionNamed } from "../catalog/queries.ts";
import { attachStoredPayload } from "../catalog/payload-upload.ts";
import { createVersionInput } from "../catalog/schemas.ts";
import { createVersion, loadOwnVersion } from "../catalog/versions.ts";
import { versionView } from "../kernel/views.ts";
import { bundleFiles, payloadName, readBundle, writeBundle } from "./bundle-format.ts";

/**
 * A ready version of the caller's as a signed bundle, streamed: the manifest the platform signed,
 * its signature and key id, the license, and the payload as uploaded. The same version gives the
 * same bytes every time.
 */
export async function exportBundle(ctx: AppContext, subject: Subject, cubeId: string, version: string) {
  const { cube, version: row } = await loadOwnVersion(ctx.db, subject, "cube.read", cubeId, version);
  if (row.status !== "ready" || !row.signature || !row.digest || row.size === null)
    throw new AppError(
      "conflict",
      `version ${row.version} is ${row.status}: only a ready (signed) version is bundled`,
    );
  const name = payloadName(row.manifest, row.contentType);
  const files = bundleFiles(
    row.manifest,
    { alg: "ed25519", key_id: keyIdOf(ctx.keys.publicKey), signature: row.signature, signed: "memcube.json" },
    { name, size: row.size, data: await ctx.blobs.get(row.digest) },
  );
  return { filename: `${cube.slug}-${row.version}.memcube.tar`, ...writeBundle(files) };
}

/**
 * Imports a bundle as a draft version of the caller's cube of the manifest's slug (made if it has
 * none): streamed, the payload staged in the blob store while it is hashed; then every part checked
 * against this platform's key. Anything that does not verify is `422 bundle_invalid` naming what
 * failed, and nothing is written (the staged payload is deleted). The draft is submitted as any
 * other, and its pipeline runs again here.
 */
export async function importBundle(ctx: AppContext, subject: Subject, body: AsyncIterable<Uint8Array>) {
  authorize(subject, "cube.write");
  const { report, discard } = await stageBundle(ctx, body);
  const { manifest, payload } = report;
  if (report.failed.length > 0 || !manifest || !payload?.contentType) {
    await discard();
    throw new AppError("bundle_invalid", `the bundle does not verify: ${report.failed.join("; ")}`, {
      failed: report.failed,
      checked: report.checked,
    });
  }
  const cube = await cubeToImportInto(ctx, subject, manifest).catch(async (error: unknown) => {
    await discard();
    throw error;
  });
  const format = manifest.payload?.format;
  const draft = await createVersion(
    ctx,
    subject,
    cube.id,
    createVersionInput.parse({
      version: manifest.version,
      manifest: {
        changelog: manifest.changelog,
        governance: manifest.governance,
        descriptive: manifest.descriptive,
        payload: format === "jsonl" || format === "markdown" || format === "text" ? { format } : {},
      },
    }),
  );
  try {
    await attachStoredPayload(ctx, subject, { cubeId: cube.id, version: draft.version }, payload);
  } catch (error) {
    await ctx.db.delete(cubeVersions).where(eq(cubeVersions.id, draft.id));
    await discard();
    throw error;
  }
  await recordAudit(ctx.db, {
    orgId: subject.orgId,
    actor: actorOf(subject),
    action: "version.imported",
    objectType: "cube_version",
    objectId: draft.id,
    data: { bundle: `${manifest.publisher}/${manifest.cube}@${manifest.version}`, checked: report.checked },
  });
  const row = await versionById(ctx.db, { versionId: draft.id });
  return { version: versionView(row!), checked: report.checked };
}

/** The bundle read and checked, its payload staged in the blob store; `discard` deletes what was staged. */
async function stageBundle(ctx: AppContext, body: AsyncIterable<Uint8Array>) {
  let staged: string | null = null;
  const discard = async () => {
    if (staged) await deleteUnlessShared(ctx, staged);
  };
  const report = await readBundle(body, ctx.keys.publicKey, async (_name, data) => {
    const stored = await ctx.blobs.put(Readable.from(data), { maxBytes: ctx.config.MAX_PAYLOAD_BYTES });
    staged = stored.digest;
    return stored;
  }).catch(async (error: unknown) => {
    await discard();
    throw error;
  });
  return { report, discard };
}

/** The importer's cube of the bundle's slug, made when it has none; refused if its type or the version clash. */
async function cubeToImportInto(ctx: AppContext, subject: Subject, manifest: Manifest) {
  const existing = await cubeWithSlug(ctx.db, { orgId: subject.orgId, slug: manifest.cube });
  if (!existing) {
    return createCube(ctx, subject, {
      slug: manifest.cube,
      type: manifest.type,
      title: manifest.title,
      description: manifest.description,
      tags: manifest.tags,
    });
  }
  if (existing.type !== manifest.type) {
    throw new AppError(
      "conflict",
      `your cube '${manifest.cube}' is a ${existing.type} cube; the bundle is ${manifest.type}`,
    );
  }
  const [taken] = await versionNamed(ctx.db, { cubeId: existing.id, version: manifest.version });
  if (taken)
    throw new AppError("version_exists", `version ${manifest.version} of '${manifest.cube}' already exists`);
  return existing;
}
