CREATE TABLE "listing_vocab" (
	"listing_id" text PRIMARY KEY NOT NULL,
	"vocab" "tsvector" NOT NULL,
	"version_id" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "listing_vocab" ADD CONSTRAINT "listing_vocab_listing_id_listings_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."listings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "listing_vocab_gin" ON "listing_vocab" USING gin ("vocab");--> statement-breakpoint
-- Listings already in the store: the words of their newest ready version.
INSERT INTO "listing_vocab" ("listing_id", "vocab", "version_id")
SELECT l."id", array_to_tsvector(array(
  SELECT DISTINCT u.lexeme FROM "chunks" ch, unnest(ch."tsv") AS u WHERE ch."version_id" = v."id" LIMIT 50000)), v."id"
FROM "listings" l
CROSS JOIN LATERAL (SELECT cv."id" FROM "cube_versions" cv
                    WHERE cv."cube_id" = l."cube_id" AND cv."status" = 'ready'
                    ORDER BY cv."ready_at" DESC NULLS LAST LIMIT 1) v
WHERE l."status" <> 'draft';
