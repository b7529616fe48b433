import { signWebhook } from "@memstore/core/webhook-signature";
import { outboxEvents, subscriptions, webhookDeliveries } from "@memstore/db";
import { eq, sql } from "drizzle-orm";
import type { AppContext } from "../context.ts";

/** A subscriber's endpoint gets this long to answer before the attempt counts as failed. */
const DELIVERY_TIMEOUT_MS = 10_000;

export class DeliveryFailed extends Error {
  override readonly name = "DeliveryFailed";
}

/**
 * The `deliver-webhook` job: POSTs `{ id, type, created_at, data }` signed with the subscription
 * secret (`MemStore-Signature: t=…,v1=…`). A 2xx marks it delivered; 410 Gone marks it dead at
 * once; anything else is retried with backoff, and the last attempt's failure marks it dead.
 */
export async function deliverWebhook(
  ctx: AppContext,
  deliveryId: string,
  { finalAttempt }: { finalAttempt: boolean },
): Promise<"delivered" | "dead" | "skipped"> {
  const [row] = await ctx.db
    .select({ delivery: webhookDeliveries, subscription: subscriptions, event: outboxEvents })
    .from(webhookDeliveries)
    .innerJoin(subscriptions, eq(subscriptions.id, webhookDeliveries.subscriptionId))
    .innerJoin(outboxEvents, eq(outboxEvents.id, webhookDeliveries.eventId))
    .where(eq(webhookDeliveries.id, deliveryId));
  if (
    !row ||
    row.delivery.status !== "pending" ||
    !row.subscription.webhookUrl ||
    row.subscription.deletedAt
  ) {
    return "skipped";
  }
  const { event, subscription } = row;
  const body = JSON.stringify({
    id: event.id,
    type: event.type,
    created_at: new Date(event.createdAt).toISOString(),
    data: event.data,
  });
  const signature = signWebhook(subscription.secret, body, Math.floor(Date.now() / 1000));
  let status: number | null = null;
  let error: string | null = null;
  try {
    const response = await fetch(subscription.webhookUrl!, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "MemStore-Webhooks/1",
        "memstore-signature": signature,
        "memstore-delivery": deliveryId,
      },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    status = response.status;
    await response.body?.cancel();
  } catch (e) {
    error = (e as Error).message;
  }
  const delivered = status !== null && status >= 200 && status < 300;
  const dead = !delivered && (status === 410 || finalAttempt);
  await ctx.db
    .update(webhookDeliveries)
    .set({
      status: delivered ? "delivered" : dead ? "dead" : "pending",
      attempts: sql`${webhookDeliveries.attempts} + 1`,
      lastStatusCode: status,
      lastError: delivered ? null : (error ?? `HTTP ${status}`),
      deliveredAt: delivered ? new Date() : null,
    })
    .where(eq(webhookDeliveries.id, deliveryId));
  if (delivered) return "delivered";
  if (dead) return "dead";
  throw new DeliveryFailed(
    `webhook ${deliveryId} to ${new URL(subscription.webhookUrl!).host}: ${error ?? `HTTP ${status}`}`,
  );
}
