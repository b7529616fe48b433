import { acquireInput } from "@memstore/api/payments";
import { pageQuery } from "@memstore/api";
import {
  accessRequestInput,
  acquire,
  decideAccessInput,
  decideAccessRequest,
  getStoreListing,
  listIncomingRequests,
  listOwnRequests,
  listReviews,
  ownRequestsQuery,
  replyInput,
  replyToReview,
  reportInput,
  reportReview,
  requestAccess,
  reviewInput,
  searchListings,
  storeQuery,
  tryListing,
  publisherPage,
  tryListingInput,
  writeReview,
} from "@memstore/api/store";
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
  publicRoute({
    method: "GET",
    path: "/api/v1/store/publishers/{slug}",
    summary:
      "A publisher's public page, no key needed: name, about, website, when it joined, its listings in the store, their installs and average rating",
    tag: "store",
    status: 200,
    handler: ({ ctx, params }) => publisherPage(ctx, params.slug),
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
    method: "POST",
    path: "/api/v1/store/listings/{listing_id}/try",
    summary:
      "Try before you buy: up to 20 questions per organisation, listing and UTC day, each answered with whether the pack holds an answer, its section and a fingerprinted snippet of at most 160 characters",
    tag: "store",
    scope: "subscribe",
    body: tryListingInput,
    status: 200,
    handler: ({ ctx, subject, params, body }) => tryListing(ctx, subject, params.listing_id, body),
  }),
  route({
    method: "GET",
    path: "/api/v1/store/listings/{listing_id}/reviews",
    summary:
      "A listing's reviews, the newest edit first: rating, title, text, the reviewing organisation, whether it holds the listing now (verified_holder) and the publisher's reply",
    tag: "store",
    scope: "subscribe",
    query: pageQuery,
    status: 200,
    handler: ({ ctx, subject, params, query }) => listReviews(ctx, subject, params.listing_id, query),
  }),
  route({
    method: "POST",
    path: "/api/v1/store/listings/{listing_id}/reviews",
    summary:
      "The organisation's review of a listing, 1 to 5 with a title and text: written once (201), edited by posting again (200); 403 review_not_eligible before 7 days of holding it or 100 agent calls to it",
    tag: "store",
    scope: "subscribe",
    body: reviewInput,
    status: 201,
    handler: async ({ ctx, subject, params, body }) => {
      const written = await writeReview(ctx, subject, params.listing_id, body);
      return json(written.review, written.created ? 201 : 200);
    },
  }),
  route({
    method: "POST",
    path: "/api/v1/reviews/{review_id}/reply",
    summary: "The publisher's one reply to a review of its listing (409 already_replied after)",
    tag: "publishing",
    scope: "publish",
    body: replyInput,
    status: 200,
    handler: ({ ctx, subject, params, body }) => replyToReview(ctx, subject, params.review_id, body),
  }),
  route({
    method: "POST",
    path: "/api/v1/reviews/{review_id}/report",
    summary:
      "Report a review that breaks the rules, with a reason: one report per organisation and review (reporting again restates it)",
    tag: "store",
    scope: "publish|subscribe",
    body: reportInput,
    status: 201,
    handler: ({ ctx, subject, params, body }) => reportReview(ctx, subject, params.review_id, body),
  }),
  route({
    method: "POST",
    path: "/api/v1/store/listings/{listing_id}/access-requests",
    summary:
      "Ask for a listing sold on request (access: request): a message and a purpose; acquiring it needs the publisher's approval",
    tag: "store",
    scope: "subscribe",
    body: accessRequestInput,
    status: 201,
    handler: ({ ctx, subject, params, body }) => requestAccess(ctx, subject, params.listing_id, body),
  }),
  route({
    method: "GET",
    path: "/api/v1/access-requests",
    summary:
      "The organisation's own access requests (to one listing with ?listing_id=), newest first, with their state",
    tag: "store",
    scope: "subscribe",
    query: ownRequestsQuery,
    status: 200,
    handler: ({ ctx, subject, query }) => listOwnRequests(ctx, subject, query),
  }),
  route({
    method: "GET",
    path: "/api/v1/listings/{listing_id}/access-requests",
    summary: "The access requests to one of the publisher's listings, newest first",
    tag: "publishing",
    scope: "publish",
    query: pageQuery,
    status: 200,
    handler: ({ ctx, subject, params, query }) =>
      listIncomingRequests(ctx, subject, params.listing_id, query),
  }),
  route({
    method: "POST",
    path: "/api/v1/access-requests/{request_id}/approve",
    summary:
      "Approve a pending access request, optionally with a private offer (its own price and terms) the buyer acquires under",
    tag: "publishing",
    scope: "publish",
    body: decideAccessInput,
    status: 200,
    handler: ({ ctx, subject, params, body }) =>
      decideAccessRequest(ctx, subject, params.request_id, "approved", body),
  }),
  route({
    method: "POST",
    path: "/api/v1/access-requests/{request_id}/deny",
    summary: "Deny a pending access request, with a reason",
    tag: "publishing",
    scope: "publish",
    body: decideAccessInput,
    status: 200,
    handler: ({ ctx, subject, params, body }) =>
      decideAccessRequest(ctx, subject, params.request_id, "denied", body),
  }),
];
