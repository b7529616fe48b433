ALTER TABLE "memories" ADD COLUMN "expired_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "vaults" ADD COLUMN "retention" jsonb;--> statement-breakpoint
CREATE INDEX "memories_current_by_vault_idx" ON "memories" USING btree ("vault_id","id") WHERE is_current;--> statement-breakpoint
CREATE INDEX "memories_ttl_idx" ON "memories" USING btree ("expires_at") WHERE is_current and state = 'active' and expires_at is not null;