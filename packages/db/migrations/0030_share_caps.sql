CREATE TABLE "share_receipts" (
	"org_id" text NOT NULL,
	"listing_id" text NOT NULL,
	"chunk_id" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	CONSTRAINT "share_receipts_org_id_listing_id_chunk_id_pk" PRIMARY KEY("org_id","listing_id","chunk_id")
);
--> statement-breakpoint
CREATE TABLE "share_windows" (
	"org_id" text NOT NULL,
	"listing_id" text NOT NULL,
	"held" integer NOT NULL,
	"checked_at" timestamp with time zone NOT NULL,
	CONSTRAINT "share_windows_org_id_listing_id_pk" PRIMARY KEY("org_id","listing_id")
);
--> statement-breakpoint
ALTER TABLE "share_receipts" ADD CONSTRAINT "share_receipts_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "share_receipts" ADD CONSTRAINT "share_receipts_listing_id_listings_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."listings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "share_windows" ADD CONSTRAINT "share_windows_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "share_windows" ADD CONSTRAINT "share_windows_listing_id_listings_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."listings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "share_receipts_window_idx" ON "share_receipts" USING btree ("org_id","listing_id","received_at");