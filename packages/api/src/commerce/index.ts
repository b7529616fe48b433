export { acquireInput, startCheckout } from "./checkout.ts";
export { revokeEntitlement, revokeInput } from "./revoke.ts";
export { applyPaymentEvent, receiveStripeEvent } from "./payment-events.ts";
export { requireStripe, stripeOf } from "./stripe-client.ts";
