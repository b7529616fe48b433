CREATE TABLE "base_models" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"config" jsonb NOT NULL,
	"architecture" jsonb NOT NULL,
	"tokenizer_sha256" text NOT NULL,
	"tokenizer_digest" text,
	"onnx_digest" text,
	"onnx_size" bigint,
	"registered_by_org_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "base_models_name_unique" UNIQUE("name")
);
--> statement-breakpoint
ALTER TABLE "base_models" ADD CONSTRAINT "base_models_registered_by_org_id_organizations_id_fk" FOREIGN KEY ("registered_by_org_id") REFERENCES "public"."organizations"("id") ON DELETE set null ON UPDATE no action;