import { idSchema } from "@memstore/core";
import { z } from "zod";
import { pageQuery } from "@memstore/api";
import { changeListingStatus, updateListing, updateListingInput } from "@memstore/api/listings";
import {
  billingOverview,
  cancelEntitlement,
  listEntitlements,
  revokeEntitlement,
  revokeInput,
} from "@memstore/api/entitlements";
import { orgProcedure, publicProcedure, router } from "../init.ts";
import {
  listingHolders,
  openPayoutAccount,
  payoutsReport,
  salesQuery,
  salesReport,
  stripeOf,
} from "@memstore/api/payments";
import { subscriberUsage, usageQuery } from "@memstore/api/usage";
import { decideAccessInput, decideAccessRequest, listIncomingRequests } from "@memstore/api/store";

const entitlementRef = z.object({ id: idSchema });
const listingRef = z.object({ id: idSchema });
const requestRef = z.object({ request_id: idSchema });

/** The portal's commerce: the publisher's Sales page and the subscriber's Billing page. */
export const commerceRouter = router({
  /** Whether this MemStore takes payments, and whether they are test payments (a banner says so). */
  mode: publicProcedure.query(({ ctx }) => {
    const key = ctx.app.config.STRIPE_SECRET_KEY ?? "";
    return {
      payments: stripeOf(ctx.app.config) !== null,
      test_mode: key !== "" && (key.startsWith("sk_test_") || Boolean(ctx.app.config.STRIPE_API_URL)),
    };
  }),
  entitlements: orgProcedure
    .input(pageQuery)
    .query(({ ctx, input }) => listEntitlements(ctx.app, ctx.subject, input)),
  cancel: orgProcedure
    .input(entitlementRef)
    .mutation(({ ctx, input }) => cancelEntitlement(ctx.app, ctx.subject, input.id)),
  revoke: orgProcedure
    .input(entitlementRef.extend({ revoke: revokeInput }))
    .mutation(({ ctx, input }) => revokeEntitlement(ctx.app, ctx.subject, input.id, input.revoke)),
  sales: orgProcedure.input(salesQuery).query(({ ctx, input }) => salesReport(ctx.app, ctx.subject, input)),
  holders: orgProcedure
    .input(pageQuery.extend({ id: idSchema }))
    .query(({ ctx, input: { id, ...page } }) => listingHolders(ctx.app, ctx.subject, id, page)),
  billing: orgProcedure.query(({ ctx }) => billingOverview(ctx.app, ctx.subject)),
  payouts: orgProcedure.query(({ ctx }) => payoutsReport(ctx.app, ctx.subject)),
  openPayoutAccount: orgProcedure.mutation(({ ctx }) => openPayoutAccount(ctx.app, ctx.subject)),
  usage: orgProcedure
    .input(usageQuery)
    .query(({ ctx, input }) => subscriberUsage(ctx.app, ctx.subject, input)),
  updateListing: orgProcedure
    .input(listingRef.extend({ changes: updateListingInput }))
    .mutation(({ ctx, input }) => updateListing(ctx.app, ctx.subject, input.id, input.changes)),
  /** The access requests to one of the publisher's listings, newest first. */
  incomingAccessRequests: orgProcedure
    .input(pageQuery.extend({ id: idSchema }))
    .query(({ ctx, input: { id, ...page } }) => listIncomingRequests(ctx.app, ctx.subject, id, page)),
  approveAccess: orgProcedure
    .input(requestRef.extend(decideAccessInput.shape))
    .mutation(({ ctx, input: { request_id, ...input } }) =>
      decideAccessRequest(ctx.app, ctx.subject, request_id, "approved", input),
    ),
  denyAccess: orgProcedure
    .input(requestRef.extend(decideAccessInput.shape))
    .mutation(({ ctx, input: { request_id, ...input } }) =>
      decideAccessRequest(ctx.app, ctx.subject, request_id, "denied", input),
    ),
  listingStatus: orgProcedure
    .input(listingRef.extend({ transition: z.enum(["suspend", "resume", "retire"]) }))
    .mutation(({ ctx, input }) => changeListingStatus(ctx.app, ctx.subject, input.id, input.transition)),
});
