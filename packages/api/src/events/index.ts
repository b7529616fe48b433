/** Events: subscriptions, the outbox and its fan-out, webhooks and vault event streams. */
export { fanOutEvent } from "./fanout.ts";
export {
  createEventSubscription,
  createEventSubscriptionInput,
  deleteEventSubscription,
  listEventSubscriptions,
} from "./event-subscriptions.ts";
export { openVaultEvents, type VaultEvent, vaultEventsAfter } from "./vault-events.ts";
export { isPublicAddress } from "./webhook-target.ts";
export { deliverWebhook } from "./webhooks.ts";
