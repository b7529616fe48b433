import type { AppContext } from "@memstore/api";
import type { ProcessorRegistry } from "@memstore/queue";
import { embed } from "./jobs/embed.ts";
import { ingest } from "./jobs/ingest.ts";

/** Every job's processor; BullMQ workers and the embedded in-process runner both call these. */
export function createProcessors(ctx: AppContext): ProcessorRegistry {
  return { ingest: ingest(ctx), embed: embed(ctx) };
}
