CREATE TABLE "install_history" (
	"id" text PRIMARY KEY NOT NULL,
	"install_id" text NOT NULL,
	"version_id" text NOT NULL,
	"from_at" timestamp with time zone DEFAULT now() NOT NULL,
	"to_at" timestamp with time zone,
	"moved_by" text NOT NULL,
	"moved_by_id" text
);
--> statement-breakpoint
ALTER TABLE "install_history" ADD CONSTRAINT "install_history_install_id_installs_id_fk" FOREIGN KEY ("install_id") REFERENCES "public"."installs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "install_history" ADD CONSTRAINT "install_history_version_id_cube_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."cube_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "install_history_install_idx" ON "install_history" USING btree ("install_id","from_at");--> statement-breakpoint
-- Each install made before this kept no past: it starts with the version it holds now, from when it was made.
INSERT INTO "install_history" ("id", "install_id", "version_id", "from_at", "to_at", "moved_by", "moved_by_id")
SELECT 'ih_' || "id", "id", "version_id", "created_at", "uninstalled_at", 'user', NULL FROM "installs";
