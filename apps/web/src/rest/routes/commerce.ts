import { pageQuery } from "@memstore/api";
import { AppError } from "@memstore/core";
import {
  cancelEntitlement,
  listEntitlements,
  receiveStripeEvent,
  revokeEntitlement,
  revokeInput,
} from "@memstore/api/entitlements";
import {
  listingHolders,
  openPayoutAccount,
  payoutsReport,
  salesQuery,
  salesReport,
} from "@memstore/api/payments";
import { subscriberUsage, usageQuery } from "@memstore/api/usage";
import { createOffer, offerInput } from "@memstore/api/listings";
import { readBoundedText } from "../body.ts";
import { publicRoute, route } from "../route.ts";

/** Commerce: entitlements held and revoked, Stripe's webhook, the publisher's sales and holders. */
export const commerceRoutes = [
  route({
    method: "GET",
    path: "/api/v1/entitlements",
    summary: "The organisation's entitlements: source, state, period end, revocation",
    tag: "commerce",
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
    tag: "commerce",
    scope: "publish",
    body: revokeInput,
    status: 200,
    handler: ({ ctx, subject, params, body }) => revokeEntitlement(ctx, subject, params.entitlement_id, body),
  }),
  route({
    method: "POST",
    path: "/api/v1/entitlements/{entitlement_id}/cancel",
    summary:
      "Subscriber: cancel a subscription at the end of its paid period; it keeps working until current_period_end (409 for entitlements that do not renew)",
    tag: "commerce",
    scope: "subscribe",
    status: 200,
    handler: ({ ctx, subject, params }) => cancelEntitlement(ctx, subject, params.entitlement_id),
  }),
  publicRoute({
    method: "POST",
    path: "/api/v1/payments/stripe/webhook",
    summary:
      "Stripe's events: the Stripe-Signature header verified (300 s tolerance; 400 webhook_signature_invalid), each event id applied once",
    tag: "commerce",
    rawBody: ["application/json"],
    status: 200,
    handler: async ({ ctx, request }) => {
      // Stripe sends JSON, at most a few kilobytes: anything else is refused before it is read.
      if (!/^application\/json\b/i.test(request.headers.get("content-type") ?? ""))
        throw new AppError("unsupported_media_type", "Stripe's events are application/json");
      const payload = await readBoundedText(request, 1 << 20);
      return receiveStripeEvent(ctx, payload, request.headers.get("stripe-signature"));
    },
  }),
  route({
    method: "POST",
    path: "/api/v1/listings/{listing_id}/offers",
    summary:
      "Publisher: a private offer to one organisation (org_slug): its own price and terms, until expires_at; only that organisation sees it and acquires under it (offer_id)",
    tag: "commerce",
    scope: "publish",
    body: offerInput,
    status: 201,
    handler: ({ ctx, subject, params, body }) => createOffer(ctx, subject, params.listing_id, body),
  }),
  route({
    method: "GET",
    path: "/api/v1/sales",
    summary:
      "Publisher: per listing and UTC day, revenue, fees and refunds in integer cents, entitlements new, active and ended, agent calls and bytes served (from, to: YYYY-MM-DD; the last 30 days unless asked; at most 366)",
    tag: "commerce",
    scope: "publish",
    query: salesQuery,
    status: 200,
    handler: ({ ctx, subject, query }) => salesReport(ctx, subject, query),
  }),
  route({
    method: "POST",
    path: "/api/v1/payouts/account",
    summary:
      "Publisher admin: the organisation's payout account (Stripe Connect Express), made once, and an onboarding_url to give Stripe the bank details; once onboarded, each sale's share less the platform fee is transferred to it",
    tag: "commerce",
    scope: "admin",
    status: 200,
    handler: ({ ctx, subject }) => openPayoutAccount(ctx, subject),
  }),
  route({
    method: "GET",
    path: "/api/v1/payouts",
    summary:
      "Publisher: the payout account, the platform fee (basis points), balances per currency in integer cents (revenue, fees, refunded, transferred, held) and per sale the share transferred, held or reversed (latest 200)",
    tag: "commerce",
    scope: "publish",
    status: 200,
    handler: ({ ctx, subject }) => payoutsReport(ctx, subject),
  }),
  route({
    method: "GET",
    path: "/api/v1/usage",
    summary:
      "Subscriber: per install and UTC day, agent calls, bytes downloaded, and for usage-priced listings the spend in integer cents (included calls free, each started 1,000 charged, the monthly cap stops charges); from, to: YYYY-MM-DD",
    tag: "commerce",
    scope: "subscribe|vault:read",
    query: usageQuery,
    status: 200,
    handler: ({ ctx, subject, query }) => subscriberUsage(ctx, subject, query),
  }),
  route({
    method: "GET",
    path: "/api/v1/listings/{listing_id}/entitlements",
    summary: "Publisher: who holds the listing, with state and agent calls in the last 30 days",
    tag: "commerce",
    scope: "publish",
    query: pageQuery,
    status: 200,
    handler: ({ ctx, subject, params, query }) => listingHolders(ctx, subject, params.listing_id, query),
  }),
];
