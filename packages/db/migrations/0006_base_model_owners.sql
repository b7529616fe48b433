ALTER TABLE "base_models" DROP CONSTRAINT "base_models_name_unique";--> statement-breakpoint
ALTER TABLE "base_models" DROP CONSTRAINT "base_models_registered_by_org_id_organizations_id_fk";
--> statement-breakpoint
ALTER TABLE "base_models" ADD CONSTRAINT "base_models_registered_by_org_id_organizations_id_fk" FOREIGN KEY ("registered_by_org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "base_models_owner_name_uq" ON "base_models" USING btree (coalesce("registered_by_org_id", ''),"name");