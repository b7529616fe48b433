/** Entitlements: an organisation's right to a listing, how it is granted and how it ends. */
export { billingOverview } from "./billing-overview.ts";
export { cancelEntitlement } from "./cancel.ts";
export { listEntitlements } from "./entitlements.ts";
export { expireEntitlements } from "./expiry.ts";
export { applyPaymentEvent, receiveStripeEvent } from "./payment-events.ts";
export { revokeEntitlement, revokeInput } from "./revoke.ts";
