CREATE TABLE "version_evals" (
	"version_id" text PRIMARY KEY NOT NULL,
	"questions" jsonb NOT NULL,
	"max_recall_drop" double precision,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "cube_versions" ADD COLUMN "held_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "cube_versions" ADD COLUMN "held_reason" text;--> statement-breakpoint
ALTER TABLE "version_evals" ADD CONSTRAINT "version_evals_version_id_cube_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."cube_versions"("id") ON DELETE cascade ON UPDATE no action;