import { pageQuery } from "@memstore/api";
import {
  createEventSubscription,
  createEventSubscriptionInput,
  deleteEventSubscription,
  listEventSubscriptions,
  openVaultEvents,
} from "@memstore/api/events";
import { subjectStillValid } from "@memstore/api/identity";
import { AppError } from "@memstore/core";
import { vaultEventStream } from "../../events/sse.ts";
import { NO_STORE, route } from "../route.ts";

export const eventSubscriptionRoutes = [
  route({
    method: "POST",
    path: "/api/v1/subscriptions",
    summary: "Subscribe to new versions (listing or filter); webhook, SSE and/or auto-install",
    tag: "subscriptions",
    scope: "subscribe",
    body: createEventSubscriptionInput,
    status: 201,
    headers: NO_STORE,
    handler: ({ ctx, subject, body }) => createEventSubscription(ctx, subject, body),
  }),
  route({
    method: "GET",
    path: "/api/v1/subscriptions",
    summary: "List the organisation's subscriptions",
    tag: "subscriptions",
    scope: "subscribe",
    query: pageQuery,
    status: 200,
    handler: ({ ctx, subject, query }) => listEventSubscriptions(ctx, subject, query),
  }),
  route({
    method: "DELETE",
    path: "/api/v1/subscriptions/{subscription_id}",
    summary: "End a subscription",
    tag: "subscriptions",
    scope: "subscribe",
    status: 204,
    handler: ({ ctx, subject, params }) => deleteEventSubscription(ctx, subject, params.subscription_id),
  }),
  route({
    method: "GET",
    path: "/api/v1/vaults/{vault_id}/events",
    summary:
      "The vault's events as text/event-stream: install.updated, version.published, entitlement.revoked",
    tag: "agents",
    scope: "vault:read",
    status: 200,
    handler: async ({ ctx, subject, params, request }) => {
      const vault = await openVaultEvents(ctx, subject, params.vault_id);
      const last = request.headers.get("last-event-id") ?? new URL(request.url).searchParams.get("after");
      if (last !== null && !/^\d+$/.test(last)) {
        throw new AppError("invalid_input", "Last-Event-ID must be an event id from this stream");
      }
      return vaultEventStream(ctx, vault.id, last === null ? 0 : Number(last), () =>
        subjectStillValid(ctx, subject),
      );
    },
  }),
];
