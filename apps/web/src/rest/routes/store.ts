import { acquireInput } from "@memstore/api/payments";
import { acquire, getStoreListing, searchListings, storeQuery } from "@memstore/api/store";
import { json, route } from "../route.ts";

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
];
