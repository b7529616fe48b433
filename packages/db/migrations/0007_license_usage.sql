CREATE TABLE "license_usage" (
	"org_id" text NOT NULL,
	"listing_id" text NOT NULL,
	"day" date NOT NULL,
	"calls" integer NOT NULL,
	CONSTRAINT "license_usage_org_id_listing_id_day_pk" PRIMARY KEY("org_id","listing_id","day")
);
--> statement-breakpoint
ALTER TABLE "license_usage" ADD CONSTRAINT "license_usage_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "license_usage" ADD CONSTRAINT "license_usage_listing_id_listings_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."listings"("id") ON DELETE cascade ON UPDATE no action;