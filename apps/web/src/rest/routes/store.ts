import { acquireInput, receiveStripeEvent, revokeEntitlement, revokeInput } from "@memstore/api/commerce";
import { pageQuery } from "@memstore/api";
import { acquire, getStoreListing, listEntitlements, searchListings, storeQuery } from "@memstore/api/store";
import { readBoundedText } from "../body.ts";
import { json, publicRoute, route } from "../route.ts";

export const storeRoutes = [
  route({
    method: "GET",
    path: "/api/v1/store/listings",
    summary: "Search published listings (q: hybrid text + semantic)",
    tag: "store",
    scope: "subscribe",
    query: storeQuery,
    status: 200,
    handler: ({ ctx, subject, query }) => searchListings(ctx, subject, query),
  }),
  route({
    method: "GET",
    path: "/api/v1/store/listings/{listing_id}",
    summary: "A listing with its versions, processing summaries, price and terms",
    tag: "store",
    scope: "subscribe",
    status: 200,
    handler: ({ ctx, subject, params }) => getStoreListing(ctx, subject, params.listing_id),
  }),
  route({
    method: "POST",
    path: "/api/v1/store/listings/{listing_id}/acquire",
    summary:
      "Acquire a listing: a free one grants an entitlement (201; 200 when one is already live); a paid one answers a checkout to pay at (201 { checkout_url, checkout_session_id }), and the entitlement appears when payment completes",
    tag: "store",
    scope: "subscribe",
    body: acquireInput,
    status: 201,
    handler: async ({ ctx, subject, params, body }) => {
      const acquired = await acquire(ctx, subject, params.listing_id, body);
      if ("checkout" in acquired) return json(acquired.checkout, 201);
      return json({ entitlement: acquired.entitlement }, acquired.created ? 201 : 200);
    },
  }),
  route({
    method: "GET",
    path: "/api/v1/entitlements",
    summary: "The organisation's entitlements: source, state, period end, revocation",
    tag: "store",
    scope: "subscribe",
    query: pageQuery,
    status: 200,
    handler: ({ ctx, subject, query }) => listEntitlements(ctx, subject, query),
  }),
  route({
    method: "POST",
    path: "/api/v1/entitlements/{entitlement_id}/revoke",
    summary:
      "Publisher: end an organisation's entitlement to one of your listings, with a reason (and a refund of its sale): its installs are suspended, search leaves them out, downloads answer 402, entitlement.revoked is sent",
    tag: "store",
    scope: "publish",
    body: revokeInput,
    status: 200,
    handler: ({ ctx, subject, params, body }) => revokeEntitlement(ctx, subject, params.entitlement_id, body),
  }),
  publicRoute({
    method: "POST",
    path: "/api/v1/payments/stripe/webhook",
    summary:
      "Stripe's events: the Stripe-Signature header verified (300 s tolerance; 400 webhook_signature_invalid), each event id applied once",
    tag: "store",
    rawBody: ["application/json"],
    status: 200,
    handler: async ({ ctx, request }) =>
      receiveStripeEvent(
        ctx,
        await readBoundedText(request, 1 << 20),
        request.headers.get("stripe-signature"),
      ),
  }),
];
