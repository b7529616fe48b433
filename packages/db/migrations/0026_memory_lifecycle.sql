CREATE TABLE "install_heat" (
	"install_id" text NOT NULL,
	"vault_id" text NOT NULL,
	"section" text NOT NULL,
	"hits" bigint DEFAULT 0 NOT NULL,
	"last_hit_at" timestamp with time zone,
	CONSTRAINT "install_heat_install_id_section_pk" PRIMARY KEY("install_id","section")
);
--> statement-breakpoint
CREATE TABLE "memory_heat" (
	"memory_id" text PRIMARY KEY NOT NULL,
	"vault_id" text NOT NULL,
	"access_count" bigint DEFAULT 0 NOT NULL,
	"last_accessed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "memories" ALTER COLUMN "state" SET DEFAULT 'active';--> statement-breakpoint
ALTER TABLE "memories" ADD COLUMN "inactive_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "memories" ADD COLUMN "superseded_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "memories" ADD COLUMN "merged_from" text[];--> statement-breakpoint
ALTER TABLE "memories" ADD COLUMN "purged_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "memories" ADD COLUMN "text_sha256" text;--> statement-breakpoint
ALTER TABLE "install_heat" ADD CONSTRAINT "install_heat_install_id_installs_id_fk" FOREIGN KEY ("install_id") REFERENCES "public"."installs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "memory_heat" ADD CONSTRAINT "memory_heat_vault_id_vaults_id_fk" FOREIGN KEY ("vault_id") REFERENCES "public"."vaults"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "install_heat_vault_idx" ON "install_heat" USING btree ("vault_id","hits");--> statement-breakpoint
CREATE INDEX "memory_heat_vault_idx" ON "memory_heat" USING btree ("vault_id","access_count");--> statement-breakpoint
UPDATE "memories" SET "state" = 'active' WHERE "state" = 'activated';--> statement-breakpoint
-- A replaced version was replaced when the next one was written.
UPDATE "memories" m SET "superseded_at" = n."created_at"
  FROM "memories" n WHERE n."supersedes" = m."id" AND m."superseded_at" IS NULL;--> statement-breakpoint
-- Versions archived before their time was kept count as archived when this ran.
UPDATE "memories" SET "inactive_at" = now() WHERE "state" <> 'active' AND "inactive_at" IS NULL;
