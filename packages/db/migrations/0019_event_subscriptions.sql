-- One word per concept: an event subscription (a filter, a delivery, an auto-install) and a Stripe
-- subscription (what a renewing entitlement follows) no longer share a name.
ALTER TABLE "subscriptions" RENAME TO "event_subscriptions";--> statement-breakpoint
ALTER INDEX "subscriptions_org_idx" RENAME TO "event_subscriptions_org_idx";--> statement-breakpoint
ALTER TABLE "event_subscriptions" RENAME CONSTRAINT "subscriptions_org_id_organizations_id_fk" TO "event_subscriptions_org_id_organizations_id_fk";--> statement-breakpoint
ALTER TABLE "event_subscriptions" RENAME CONSTRAINT "subscriptions_auto_install_vault_id_vaults_id_fk" TO "event_subscriptions_auto_install_vault_id_vaults_id_fk";--> statement-breakpoint
ALTER TABLE "entitlements" RENAME COLUMN "subscription_id" TO "stripe_subscription_id";--> statement-breakpoint
ALTER TABLE "entitlements" RENAME CONSTRAINT "entitlements_subscription_id_unique" TO "entitlements_stripe_subscription_id_unique";--> statement-breakpoint
ALTER TABLE "outbox_events" RENAME COLUMN "subscription_id" TO "event_subscription_id";--> statement-breakpoint
ALTER TABLE "webhook_deliveries" RENAME COLUMN "subscription_id" TO "event_subscription_id";--> statement-breakpoint
ALTER TABLE "webhook_deliveries" RENAME CONSTRAINT "webhook_deliveries_subscription_id_subscriptions_id_fk" TO "webhook_deliveries_event_subscription_id_event_subscriptions_id_fk";--> statement-breakpoint
ALTER INDEX "webhook_deliveries_subscription_event_uq" RENAME TO "webhook_deliveries_event_subscription_event_uq";
