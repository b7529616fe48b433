/** Payments: the calls MemStore makes to Stripe (checkout, prices, refunds, payouts, metered usage) and sales. */
export { acquireInput, startCheckout } from "./checkout.ts";
export { openPayoutAccount, payoutsReport } from "./payouts.ts";
export { type Pricing, pricingSchema } from "./pricing.ts";
export { listingHolders, salesQuery, salesReport } from "./sales-report.ts";
export { requireStripe, stripeOf } from "./stripe-client.ts";
export { pushUsageToStripe } from "./usage-push.ts";
