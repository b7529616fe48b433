import { Readable } from "node:stream";
import type { AppContext } from "@memstore/api";
import { createCube, createVersion, submitVersion, uploadPayload } from "@memstore/api/catalog";
import type { Subject } from "@memstore/core";

/**
 * A plaintext cube of JSONL memory items, version 1.0.0, through the publishing services: created,
 * its payload uploaded, submitted to the pipeline. Returns the cube; the pipeline runs on.
 */
export async function submitJsonlCube(
  ctx: AppContext,
  publisher: Subject,
  cube: { slug: string; title: string },
  texts: readonly string[],
) {
  const made = await createCube(ctx, publisher, { ...cube, type: "plaintext", description: "", tags: [] });
  await createVersion(ctx, publisher, made.id, { version: "1.0.0" });
  const jsonl = texts.map((text) => JSON.stringify({ text })).join("\n");
  await uploadPayload(
    ctx,
    publisher,
    { cubeId: made.id, version: "1.0.0" },
    Readable.from([Buffer.from(jsonl)]),
    "application/x-ndjson",
  );
  await submitVersion(ctx, publisher, made.id, "1.0.0");
  return made;
}
