ALTER TABLE "entitlements" ADD COLUMN "subscription_id" text;--> statement-breakpoint
ALTER TABLE "entitlements" ADD COLUMN "cancel_at_period_end" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "entitlements" ADD CONSTRAINT "entitlements_subscription_id_unique" UNIQUE("subscription_id");