import {
  AppError,
  CUBE_TYPES,
  idSchema,
  newId,
  type Subject,
  tagSchema,
  versionPolicySchema,
} from "@memstore/core";
import { newWebhookSecret } from "@memstore/core/webhook-signature";
import { type EventSubscriptionRow, eventSubscriptions } from "@memstore/db";
import { and, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import { recordAudit } from "../audit/record-audit.ts";
import type { AppContext } from "../kernel/context.ts";
import { actorOf, authorize, authorizedRows, loadAuthorized, type Owned } from "../kernel/authorize.ts";
import { type PageQuery, toPage } from "../kernel/pagination.ts";
import { loadVisibleListing } from "../store/store-listings.ts";
import { loadOwnVault } from "../vaults/vaults.ts";
import { privateTargetReason } from "./webhook-target.ts";
import { eventSubscriptionPage } from "./queries.ts";

export const createEventSubscriptionInput = z
  .object({
    filter: z
      .object({
        listing_id: idSchema.optional(),
        tags: z.array(tagSchema).min(1).max(32).optional(),
        types: z.array(z.enum(CUBE_TYPES)).min(1).max(CUBE_TYPES.length).optional(),
        query: z.string().trim().min(1).max(500).optional(),
      })
      .strict()
      .default({}),
    delivery: z
      .object({
        webhook_url: z
          .url({ protocol: /^https?$/ })
          .max(2000)
          .optional(),
        sse: z.boolean().optional(),
      })
      .strict()
      .default({}),
    auto_install: z
      .object({
        vault_id: idSchema,
        version_policy: versionPolicySchema,
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((s) => s.delivery.webhook_url || s.delivery.sse || s.auto_install, {
    message: "a subscription needs delivery.webhook_url, delivery.sse or auto_install",
    path: ["delivery"],
  });

function subscriptionView(row: EventSubscriptionRow) {
  return {
    id: row.id,
    filter: row.filter,
    delivery: { webhook_url: row.webhookUrl, sse: row.sse },
    auto_install: row.autoInstallVaultId
      ? { vault_id: row.autoInstallVaultId, version_policy: row.autoInstallPolicy! }
      : null,
    created_at: row.createdAt.toISOString(),
  };
}

/**
 * A standing interest: new versions of one listing, or of any listing matching tags, types and a
 * semantic query; told by signed webhook and/or the vault event stream; optionally installed into
 * a vault by itself. The webhook secret appears only in this response.
 */
export async function createEventSubscription(
  ctx: AppContext,
  subject: Subject,
  input: z.infer<typeof createEventSubscriptionInput>,
) {
  // One that installs into a vault is that vault's; one without is the whole organisation's.
  authorize(subject, input.auto_install ? "subscription.write" : "org_subscription.write");
  const webhookUrl = input.delivery.webhook_url;
  const privateTarget =
    webhookUrl && !ctx.config.WEBHOOK_ALLOW_PRIVATE_NETWORKS && privateTargetReason(webhookUrl);
  if (privateTarget) {
    throw new AppError(
      "webhook_target_refused",
      `delivery.webhook_url: ${privateTarget}; webhooks are delivered to public addresses only`,
    );
  }
  if (input.filter.listing_id) await loadVisibleListing(ctx, subject, input.filter.listing_id);
  if (input.auto_install) {
    // Installing later on the subscription's own needs the right to install now.
    await loadOwnVault(ctx.db, subject, "vault.write", input.auto_install.vault_id);
  }
  const [queryVector] = input.filter.query ? await ctx.embedder.embed([input.filter.query]) : [];
  const secret = newWebhookSecret();
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(eventSubscriptions)
      .values({
        id: newId("sub"),
        orgId: subject.orgId,
        filter: input.filter,
        queryEmbedding: queryVector ? Array.from(queryVector) : null,
        queryEmbeddingDim: queryVector ? ctx.embedder.dimension : null,
        webhookUrl: input.delivery.webhook_url ?? null,
        secret,
        sse: input.delivery.sse ?? false,
        autoInstallVaultId: input.auto_install?.vault_id ?? null,
        autoInstallPolicy: input.auto_install?.version_policy ?? null,
        createdBy: actorOf(subject),
      })
      .returning();
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "subscription.created",
      objectType: "subscription",
      objectId: row!.id,
      data: { filter: input.filter, webhook_url: row!.webhookUrl, auto_install: input.auto_install ?? null },
    });
    return { ...subscriptionView(row!), secret };
  });
}

/**
 * A subscription that installs into a vault lives in that vault: a key bound to another vault
 * neither sees nor deletes it. One without auto-install is the organisation's (`vaultId: null`),
 * which no vault-bound key sees.
 */
const ownerOfSubscription = (row: { orgId: string; autoInstallVaultId: string | null }): Owned => ({
  orgId: row.orgId,
  vaultId: row.autoInstallVaultId,
});

export async function listEventSubscriptions(ctx: AppContext, subject: Subject, page: PageQuery) {
  authorize(subject, "vault.read");
  const rows = await eventSubscriptionPage(ctx.db, { orgId: subject.orgId, page });
  return toPage(authorizedRows(subject, "vault.read", rows, ownerOfSubscription).map(subscriptionView), page);
}

export async function deleteEventSubscription(
  ctx: AppContext,
  subject: Subject,
  eventSubscriptionId: string,
) {
  authorize(subject, "subscription.write");
  await ctx.db.transaction(async (tx) => {
    // Judged after the update, inside its transaction: a refusal rolls it back.
    await loadAuthorized(
      subject,
      "subscription.write",
      "subscription",
      () =>
        tx
          .update(eventSubscriptions)
          .set({ deletedAt: new Date() })
          .where(
            and(
              eq(eventSubscriptions.id, eventSubscriptionId),
              eq(eventSubscriptions.orgId, subject.orgId),
              isNull(eventSubscriptions.deletedAt),
            ),
          )
          .returning({
            orgId: eventSubscriptions.orgId,
            autoInstallVaultId: eventSubscriptions.autoInstallVaultId,
          }),
      ownerOfSubscription,
    );
    await recordAudit(tx, {
      orgId: subject.orgId,
      actor: actorOf(subject),
      action: "subscription.deleted",
      objectType: "subscription",
      objectId: eventSubscriptionId,
      data: {},
    });
  });
}
