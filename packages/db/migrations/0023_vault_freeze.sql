ALTER TABLE "vaults" ADD COLUMN "frozen_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "vaults" ADD COLUMN "frozen_reason" text;--> statement-breakpoint
ALTER TABLE "vaults" ADD COLUMN "frozen_by" text;