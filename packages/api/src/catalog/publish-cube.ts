import { Readable } from "node:stream";
import type { Subject } from "@memstore/core";
import type { z } from "zod";
import type { AppContext } from "../kernel/context.ts";
import { createCube } from "./cubes.ts";
import { uploadPayload } from "./payload-upload.ts";
import { createCubeInput, createVersionInput } from "./schemas.ts";
import { submitVersion } from "./submit.ts";
import { createVersion } from "./versions.ts";

/** A version's payload as a caller holds it: text, bytes, or a stream (a file, a request body). */
export type PayloadSource = string | Uint8Array | Readable | AsyncIterable<Uint8Array>;

export type NewVersion = {
  version?: string;
  manifest?: z.input<typeof createVersionInput>["manifest"];
  payload: PayloadSource;
  contentType: string | null;
};

/**
 * One version of a cube through the whole publishing path, as the REST routes take it step by
 * step: the draft created, its payload uploaded through the same gate, and submitted to the
 * pipeline, which runs on (wait for it as the caller's runtime does). The version is `1.0.0`
 * unless named.
 */
export async function submitNewVersion(ctx: AppContext, subject: Subject, cubeId: string, next: NewVersion) {
  const version = next.version ?? "1.0.0";
  const draft = await createVersion(
    ctx,
    subject,
    cubeId,
    createVersionInput.parse({ version, manifest: next.manifest }),
  );
  const stored = await uploadPayload(
    ctx,
    subject,
    { cubeId, version },
    readableOf(next.payload),
    next.contentType,
  );
  const submitted = await submitVersion(ctx, subject, cubeId, version);
  return { draft, stored, submitted };
}

/** A new cube and its first version, submitted: `submitNewVersion` after `createCube`. */
export async function publishCube(
  ctx: AppContext,
  subject: Subject,
  cube: z.input<typeof createCubeInput>,
  first: NewVersion,
) {
  const made = await createCube(ctx, subject, createCubeInput.parse(cube));
  return { cube: made, ...(await submitNewVersion(ctx, subject, made.id, first)) };
}

function readableOf(payload: PayloadSource): Readable | AsyncIterable<Uint8Array> {
  if (typeof payload === "string") return Readable.from([Buffer.from(payload)]);
  if (payload instanceof Uint8Array) return Readable.from([payload]);
  return payload;
}
