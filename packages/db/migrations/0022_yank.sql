ALTER TABLE "cube_versions" ADD COLUMN "yanked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "cube_versions" ADD COLUMN "yank_reason" text;--> statement-breakpoint
ALTER TABLE "cube_versions" ADD COLUMN "yank_severity" text;--> statement-breakpoint
ALTER TABLE "installs" ADD COLUMN "notice" jsonb;--> statement-breakpoint
CREATE INDEX "installs_version_idx" ON "installs" USING btree ("version_id");