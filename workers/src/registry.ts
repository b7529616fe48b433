import type { AppContext } from "@memstore/api";
import type { ProcessorRegistry } from "@memstore/queue";
import { deliverWebhookJob } from "./jobs/deliver-webhook.ts";
import { embed } from "./jobs/embed.ts";
import { fanout } from "./jobs/fanout.ts";
import { ingest } from "./jobs/ingest.ts";

/** Every job's processor; BullMQ workers and the embedded in-process runner both call these. */
export function createProcessors(ctx: AppContext): ProcessorRegistry {
  return {
    ingest: ingest(ctx),
    embed: embed(ctx),
    fanout: fanout(ctx),
    "deliver-webhook": deliverWebhookJob(ctx),
  };
}
