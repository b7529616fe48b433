ALTER TABLE "sales" ADD COLUMN "refund_id" text;--> statement-breakpoint
ALTER TABLE "sales" ADD COLUMN "refunded_at" timestamp with time zone;