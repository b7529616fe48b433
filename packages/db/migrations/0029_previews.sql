CREATE TABLE "listing_previews" (
	"listing_id" text NOT NULL,
	"org_id" text NOT NULL,
	"day" date NOT NULL,
	"questions" integer DEFAULT 0 NOT NULL,
	"answered" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "listing_previews_listing_id_org_id_day_pk" PRIMARY KEY("listing_id","org_id","day")
);
--> statement-breakpoint
ALTER TABLE "listings" ADD COLUMN "preview" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "listing_previews" ADD CONSTRAINT "listing_previews_listing_id_listings_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."listings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "listing_previews" ADD CONSTRAINT "listing_previews_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;