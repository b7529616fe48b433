ALTER TABLE "vaults" ADD COLUMN "desensitise_on_write" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "vaults" ADD COLUMN "pii_policy" jsonb DEFAULT '{}'::jsonb NOT NULL;