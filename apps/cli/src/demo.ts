import { fileKindOf, TAR } from "@memstore/core";
import { createReadStream, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { type AppContext } from "@memstore/api";
import { createApiKey, createOrganization } from "@memstore/api/identity";
import { attachOnnx, insertBaseModel, loadBaseModel } from "@memstore/api/models";
import { publishCube } from "@memstore/api/catalog";
import { createListing, publishListing } from "@memstore/api/listings";
import { deriveKvSnapshot } from "@memstore/api/derivations";
import { acquireListing } from "@memstore/api/store";
import { createVault, installListing } from "@memstore/api/vaults";
import type { Subject } from "@memstore/core";
import { loraKey, writeLoraPack } from "@memstore/formats";
import { seededRandom, writeTinyDecoder } from "@memstore/inference/testing";

const DEMO_DIR = fileURLToPath(new URL("../demo", import.meta.url));
export const DEMO_PASSWORD = "memstore-demo";

export type DemoInfo = {
  publisher: { email: string; org_id: string };
  subscriber: { email: string; org_id: string };
  vault_id: string;
  agent_key: string;
};

/**
 * The demo store: a publisher with two free plaintext cubes (a Markdown guide and JSONL runbook
 * items), and two binary cubes for the tiny decoder registered as a base model (the guide's KV
 * cache made by the model, and a LoRA pack); a subscriber that installed them all into a vault and
 * holds an agent key for it; and a paid listing (19.00 EUR, one time) the subscriber can buy through
 * the checkout page. Seeded
 * once per data directory through the same services the API uses; the agent key is kept in the
 * data directory so later starts can print it again.
 */
export async function seedDemo(ctx: AppContext, waitForJobs: () => Promise<void>): Promise<DemoInfo> {
  const file = join(ctx.config.dataDir, "demo.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as DemoInfo;

  const publisherEmail = "publisher@demo.memstore.local";
  const subscriberEmail = "subscriber@demo.memstore.local";
  const pub = await createOrganization(ctx, {
    name: "Acme Experts",
    ownerEmail: publisherEmail,
    ownerPassword: DEMO_PASSWORD,
  });
  const sub = await createOrganization(ctx, {
    name: "Globex",
    ownerEmail: subscriberEmail,
    ownerPassword: DEMO_PASSWORD,
  });
  const publisher: Subject = { kind: "user", userId: pub.user_id, orgId: pub.org_id, role: "owner" };
  const subscriber: Subject = { kind: "user", userId: sub.user_id, orgId: sub.org_id, role: "owner" };

  const listingIds: string[] = [];
  const cubeIds: string[] = [];
  for (const c of FREE_CUBES) {
    const cubeId = await publishTextCube(ctx, publisher, c, waitForJobs);
    listingIds.push(await freeListing(ctx, publisher, cubeId));
    cubeIds.push(cubeId);
  }
  listingIds.push(...(await seedBinaryCubes(ctx, publisher, cubeIds[0]!, waitForJobs)));
  await seedPaidListing(ctx, publisher, waitForJobs);
  const { vaultId, agentKey } = await seedSubscriberVault(ctx, subscriber, listingIds);
  const info: DemoInfo = {
    publisher: { email: publisherEmail, org_id: pub.org_id },
    subscriber: { email: subscriberEmail, org_id: sub.org_id },
    vault_id: vaultId,
    agent_key: agentKey,
  };
  writeFileSync(file, JSON.stringify(info, null, 2), { mode: 0o600 });
  return info;
}

const FREE_CUBES = [
  { slug: "eu-vat-essentials", title: "EU VAT essentials", file: "eu-vat-guide.md", tags: ["tax", "eu"] },
  { slug: "incident-runbook", title: "Incident runbook", file: "incident-runbook.jsonl", tags: ["sre"] },
];

/** A plaintext cube made from one of the demo's files, its 1.0.0 through the pipeline: returns its id. */
async function publishTextCube(
  ctx: AppContext,
  publisher: Subject,
  c: { slug: string; title: string; file: string; tags: string[] },
  waitForJobs: () => Promise<void>,
): Promise<string> {
  const { cube } = await publishCube(
    ctx,
    publisher,
    { slug: c.slug, type: "plaintext", title: c.title, tags: c.tags },
    {
      payload: createReadStream(join(DEMO_DIR, c.file)),
      contentType: fileKindOf(c.file, "plaintext")?.mediaType ?? null,
    },
  );
  await waitForJobs();
  return cube.id;
}

/** A paid listing the subscriber does not hold: the demo buys it through the checkout page. */
async function seedPaidListing(ctx: AppContext, publisher: Subject, waitForJobs: () => Promise<void>) {
  const cubeId = await publishTextCube(
    ctx,
    publisher,
    {
      slug: "eu-customs-checklist",
      title: "EU customs checklist",
      file: "customs-checklist.md",
      tags: ["customs", "eu"],
    },
    waitForJobs,
  );
  const paidListing = await createListing(ctx, publisher, {
    cube_id: cubeId,
    visibility: "public",
    pricing: { model: "one_time", amount_cents: 1900, currency: "eur" },
    terms: { calls_per_day: 5000 },
  });
  await publishListing(ctx, publisher, paidListing.id);
}

/** The subscriber's vault with every free listing acquired and installed, and an agent key bound to it. */
async function seedSubscriberVault(ctx: AppContext, subscriber: Subject, listingIds: string[]) {
  const vault = await createVault(ctx, subscriber, { name: "Support knowledge" });
  for (const id of listingIds) {
    await acquireListing(ctx, subscriber, id);
    await installListing(ctx, subscriber, vault.id, { listing_id: id, version_policy: "latest" });
  }
  const agent = await createApiKey(ctx, subscriber, {
    name: "demo agent",
    scopes: ["vault:read", "vault:write"],
    vault_id: vault.id,
  });
  return { vaultId: vault.id, agentKey: agent.key };
}

async function freeListing(ctx: AppContext, publisher: Subject, cubeId: string): Promise<string> {
  const listing = await createListing(ctx, publisher, {
    cube_id: cubeId,
    visibility: "public",
    pricing: { model: "free" },
    terms: {},
  });
  await publishListing(ctx, publisher, listing.id);
  return listing.id;
}

/**
 * The tiny decoder (generated in code: no weights can be downloaded) registered with its tokenizer
 * and ONNX export, the guide's KV cache made by running it over the guide, and a LoRA pack for its
 * attention; both go through the pipeline, so their validation runs are in their reports.
 */
async function seedBinaryCubes(
  ctx: AppContext,
  publisher: Subject,
  guideCubeId: string,
  waitForJobs: () => Promise<void>,
): Promise<string[]> {
  const model = writeTinyDecoder(join(ctx.config.dataDir, "models", "tiny-llama"));
  const tokenizer = await ctx.blobs.put(Readable.from([model.tokenizer]), {
    maxBytes: model.tokenizer.length,
  });
  const registered = await insertBaseModel(
    ctx,
    { name: model.config._name_or_path, config: model.config, tokenizer_sha256: model.tokenizerSha256 },
    { orgId: null, actor: "demo" },
    tokenizer.digest,
  );
  await attachOnnx(ctx, await loadBaseModel(ctx.db, registered.id), Readable.from([model.onnx]));

  const kv = await deriveKvSnapshot(
    ctx,
    publisher,
    { cubeId: guideCubeId, version: "1.0.0" },
    {
      base_model: registered.name,
      slug: "eu-vat-kv-tiny-llama",
      title: "EU VAT essentials, read by tiny-llama",
    },
  );

  const pack = tinyLoraPack(model.config, registered.name);
  const { cube: lora } = await publishCube(
    ctx,
    publisher,
    {
      slug: "vat-tone-lora",
      type: "parametric",
      title: "VAT answer style (LoRA for tiny-llama)",
      description: "A rank-8 adapter of tiny-llama's attention (q_proj, v_proj in both layers).",
      tags: ["tax", "lora"],
    },
    { payload: pack, contentType: TAR },
  );
  await waitForJobs();
  return [await freeListing(ctx, publisher, kv.cube_id), await freeListing(ctx, publisher, lora.id)];
}

/** A rank-8 LoRA pack of seeded random weights for the tiny decoder's q_proj and v_proj, in every layer. */
function tinyLoraPack(config: ReturnType<typeof writeTinyDecoder>["config"], baseModel: string) {
  const random = seededRandom(2024);
  const rank = 8;
  const { hidden_size: hidden, num_key_value_heads: kvHeads, head_dim: headDim } = config;
  const tensors = [];
  for (let layer = 0; layer < config.num_hidden_layers; layer++) {
    for (const [module, out] of [
      ["q_proj", hidden],
      ["v_proj", kvHeads * headDim],
    ] as const) {
      const path = `model.layers.${layer}.self_attn.${module}`;
      for (const [side, shape] of [
        ["A", [rank, hidden]],
        ["B", [out, rank]],
      ] as const) {
        const values = Float32Array.from({ length: shape[0] * shape[1] }, () => (random() - 0.5) * 0.2);
        tensors.push({
          name: loraKey(path, side),
          dtype: "F32" as const,
          shape: [...shape],
          data: new Uint8Array(values.buffer),
        });
      }
    }
  }
  return writeLoraPack(
    {
      peft_type: "LORA",
      r: rank,
      lora_alpha: 16,
      target_modules: ["q_proj", "v_proj"],
      base_model_name_or_path: baseModel,
      use_rslora: false,
      rank_pattern: {},
      alpha_pattern: {},
    },
    tensors,
  );
}
