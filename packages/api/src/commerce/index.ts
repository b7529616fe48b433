export { cancelEntitlement } from "./cancel.ts";
export { acquireInput, startCheckout } from "./checkout.ts";
export { expireEntitlements } from "./expiry.ts";
export { revokeEntitlement, revokeInput } from "./revoke.ts";
export { listingHolders, salesQuery, salesReport } from "./sales-report.ts";
export { applyPaymentEvent, receiveStripeEvent } from "./payment-events.ts";
export { requireStripe, stripeOf } from "./stripe-client.ts";
