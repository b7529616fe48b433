-- One word per concept: what a usage report reads is not what is pushed to Stripe's meters. The
-- table that records each month's push is named for it.
ALTER TABLE "usage_reports" RENAME TO "usage_pushes";--> statement-breakpoint
ALTER TABLE "usage_pushes" RENAME CONSTRAINT "usage_reports_entitlement_id_month_pk" TO "usage_pushes_entitlement_id_month_pk";--> statement-breakpoint
ALTER TABLE "usage_pushes" RENAME CONSTRAINT "usage_reports_entitlement_id_entitlements_id_fk" TO "usage_pushes_entitlement_id_entitlements_id_fk";
