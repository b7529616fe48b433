CREATE TABLE "review_reports" (
	"review_id" text NOT NULL,
	"org_id" text NOT NULL,
	"reported_by" text NOT NULL,
	"reason" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "review_reports_review_id_org_id_pk" PRIMARY KEY("review_id","org_id")
);
--> statement-breakpoint
CREATE TABLE "reviews" (
	"id" text PRIMARY KEY NOT NULL,
	"listing_id" text NOT NULL,
	"org_id" text NOT NULL,
	"author" text NOT NULL,
	"rating" integer NOT NULL,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"reply_body" text,
	"reply_by" text,
	"replied_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "share_receipts" (
	"org_id" text NOT NULL,
	"listing_id" text NOT NULL,
	"chunk_id" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	CONSTRAINT "share_receipts_chunk_id_org_id_listing_id_pk" PRIMARY KEY("chunk_id","org_id","listing_id")
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
ALTER TABLE "listings" ADD COLUMN "rating_sum" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "listings" ADD COLUMN "rating_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "about" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "website" text;--> statement-breakpoint
ALTER TABLE "review_reports" ADD CONSTRAINT "review_reports_review_id_reviews_id_fk" FOREIGN KEY ("review_id") REFERENCES "public"."reviews"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "review_reports" ADD CONSTRAINT "review_reports_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reviews" ADD CONSTRAINT "reviews_listing_id_listings_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."listings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reviews" ADD CONSTRAINT "reviews_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "share_receipts" ADD CONSTRAINT "share_receipts_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "share_receipts" ADD CONSTRAINT "share_receipts_listing_id_listings_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."listings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "share_windows" ADD CONSTRAINT "share_windows_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "share_windows" ADD CONSTRAINT "share_windows_listing_id_listings_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."listings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "reviews_listing_org_uq" ON "reviews" USING btree ("listing_id","org_id");--> statement-breakpoint
CREATE INDEX "reviews_listing_idx" ON "reviews" USING btree ("listing_id","updated_at");--> statement-breakpoint
CREATE INDEX "share_receipts_window_idx" ON "share_receipts" USING btree ("org_id","listing_id","received_at");--> statement-breakpoint
-- A share-cap claim (packages/api/src/usage/share-cap.ts): one organisation's candidates, best
-- first (a null listing: not capped), up to p_limit kept (null: all that fit), answered as one row.
-- In one call: the
-- claims of an organisation on a listing take turns behind a lock held to the end of the
-- transaction, and the claim itself, a command of its own, reads what the claim before committed.
CREATE OR REPLACE FUNCTION share_claim(p_org text, p_chunks text[], p_listings text[], p_caps int[], p_limit int)
RETURNS TABLE (kept int[], capped text[])
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
  -- In listing order, so two claims over the same listings never wait on each other in a circle.
  PERFORM pg_advisory_xact_lock(hashtextextended('share:' || p_org || ':' || l, 0))
    FROM (SELECT DISTINCT l FROM unnest(p_listings) AS l WHERE l IS NOT NULL ORDER BY l) AS locked;
  -- Receipts and count commit together without waiting for the disk, like the search's call count.
  PERFORM set_config('synchronous_commit', 'off', true);
  RETURN QUERY
  WITH w AS MATERIALIZED (
      SELECT c.chunk_id, c.listing_id, c.cap, (c.n - 1)::int AS n
      FROM unnest(p_chunks, p_listings, p_caps) WITH ORDINALITY AS c(chunk_id, listing_id, cap, n)),
    prior AS MATERIALIZED (
      SELECT l.listing_id, coalesce(s.held, 0) AS held, s.checked_at
      FROM (SELECT DISTINCT listing_id FROM w WHERE listing_id IS NOT NULL) AS l
      LEFT JOIN share_windows s ON s.org_id = p_org AND s.listing_id = l.listing_id),
    clock AS MATERIALIZED (SELECT greatest(clock_timestamp(), (SELECT max(checked_at) FROM prior)) AS t),
    -- Each listing's held chunks, less the receipts that left the window since its last claim.
    used AS MATERIALIZED (
      SELECT p.listing_id, p.held - (
          SELECT count(*) FROM share_receipts r
          WHERE r.org_id = p_org AND r.listing_id = p.listing_id
            AND r.received_at > p.checked_at - interval '24 hours'
            AND r.received_at <= (SELECT t FROM clock) - interval '24 hours')::int AS n
      FROM prior p),
    seen AS (
      SELECT w.*, w.listing_id IS NOT NULL AND h.hit IS NULL AS fresh
      FROM w LEFT JOIN LATERAL (
          SELECT true AS hit FROM share_receipts h
          WHERE h.chunk_id = w.chunk_id AND h.org_id = p_org AND h.listing_id = w.listing_id
            AND h.received_at > (SELECT t FROM clock) - interval '24 hours' LIMIT 1) AS h ON true),
    -- In the window already, or new and still under the cap counting the new ones up to it.
    judged0 AS (
      SELECT s.n, s.chunk_id, s.listing_id, s.fresh,
        s.listing_id IS NULL OR NOT s.fresh
          OR u.n + count(*) FILTER (WHERE s.fresh) OVER (PARTITION BY s.listing_id ORDER BY s.n) <= s.cap AS allowed
      FROM seen s LEFT JOIN used u ON u.listing_id = s.listing_id),
    taken AS (SELECT j.n FROM judged0 j WHERE j.allowed ORDER BY j.n LIMIT p_limit),
    judged AS MATERIALIZED (SELECT j.*, j.n IN (SELECT t.n FROM taken t) AS kept FROM judged0 j),
    recorded AS (
      INSERT INTO share_receipts (org_id, listing_id, chunk_id, received_at)
      SELECT p_org, j.listing_id, j.chunk_id, (SELECT t FROM clock) FROM judged j
      WHERE j.kept AND j.listing_id IS NOT NULL
      ON CONFLICT (chunk_id, org_id, listing_id) DO UPDATE SET received_at = excluded.received_at),
    counted AS (
      INSERT INTO share_windows (org_id, listing_id, held, checked_at)
      SELECT p_org, u.listing_id,
        u.n + (SELECT count(*) FROM judged j WHERE j.kept AND j.fresh AND j.listing_id = u.listing_id)::int,
        (SELECT t FROM clock)
      FROM used u
      ON CONFLICT (org_id, listing_id) DO UPDATE SET held = excluded.held, checked_at = excluded.checked_at)
    -- One row: the candidates kept (best first), and the listings that lost one where it would
    -- have been served (ranked above the last kept, or the results fell short of p_limit).
    SELECT array(SELECT j.n FROM judged j WHERE j.kept ORDER BY j.n),
      array(SELECT DISTINCT j.listing_id FROM judged j
            WHERE NOT j.allowed
              AND ((SELECT count(*) FROM judged k WHERE k.kept) < coalesce(p_limit, 2147483647)
                   OR j.n < (SELECT max(k.n) FROM judged k WHERE k.kept)));
END
$$;
