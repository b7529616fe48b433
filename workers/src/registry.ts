import { type AppContext, deriveKvVersion } from "@memstore/api";
import type { ProcessorRegistry } from "@memstore/queue";
import { deliverWebhookJob } from "./jobs/deliver-webhook.ts";
import { fanout } from "./jobs/fanout.ts";
import { fingerprintJob } from "./jobs/fingerprint.ts";
import { pipelineStage } from "./jobs/pipeline.ts";

/** Every job's processor; BullMQ workers and the embedded in-process runner both call these. */
export function createProcessors(ctx: AppContext): ProcessorRegistry {
  return {
    ingest: pipelineStage("ingest")(ctx),
    desensitise: pipelineStage("desensitise")(ctx),
    convert: pipelineStage("convert")(ctx),
    embed: pipelineStage("embed")(ctx),
    validate: pipelineStage("validate")(ctx),
    "validate-gpu": pipelineStage("validate", "cuda")(ctx),
    sign: pipelineStage("sign")(ctx),
    "derive-kv": async ({ versionId }) => {
      ctx.log(`derive-kv ${versionId}: ${await deriveKvVersion(ctx, versionId)}`);
    },
    fingerprint: fingerprintJob(ctx),
    fanout: fanout(ctx),
    "deliver-webhook": deliverWebhookJob(ctx),
  };
}
