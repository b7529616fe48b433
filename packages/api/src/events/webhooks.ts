import http from "node:http";
import https from "node:https";
import { signWebhook } from "@memstore/core/webhook-signature";
import { webhookDeliveries } from "@memstore/db";
import { eq, sql } from "drizzle-orm";
import type { AppContext } from "../kernel/context.ts";
import { deliveryWithEvent } from "./queries.ts";
import { privateTargetReason, publicOnlyLookup } from "./webhook-target.ts";

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
  const row = await deliveryWithEvent(ctx.db, { deliveryId });
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
  let refused = false;
  try {
    status = await post(
      subscription.webhookUrl!,
      {
        "content-type": "application/json",
        "user-agent": "MemStore-Webhooks/1",
        "memstore-signature": signature,
        "memstore-delivery": deliveryId,
      },
      body,
      ctx.config.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
    );
  } catch (e) {
    error = (e as Error).message;
    refused = e instanceof TargetRefused;
  }
  const delivered = status !== null && status >= 200 && status < 300;
  // A target outside the public network will not become deliverable by waiting.
  const dead = !delivered && (status === 410 || refused || finalAttempt);
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

class TargetRefused extends Error {
  override readonly name = "TargetRefused";
}

/**
 * POSTs the body and answers the status (no redirects followed). Unless private networks are
 * allowed, the URL's address and every address its host resolves to must be public.
 */
function post(
  url: string,
  headers: Record<string, string>,
  body: string,
  allowPrivate: boolean,
): Promise<number> {
  const reason = allowPrivate ? null : privateTargetReason(url);
  if (reason) return Promise.reject(new TargetRefused(`refused: ${reason}`));
  const target = new URL(url);
  const request = target.protocol === "https:" ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(
      target,
      {
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        timeout: DELIVERY_TIMEOUT_MS,
        ...(allowPrivate ? {} : { lookup: publicOnlyLookup }),
      },
      (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${DELIVERY_TIMEOUT_MS / 1000} s`)));
    req.on("error", (e: NodeJS.ErrnoException) =>
      reject(e.code === "EADDRNOTPUBLIC" ? new TargetRefused(`refused: ${e.message}`) : e),
    );
    req.end(body);
  });
}
