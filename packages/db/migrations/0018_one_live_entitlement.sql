ALTER TABLE "checkouts" ADD COLUMN "url" text;--> statement-breakpoint
ALTER TABLE "checkouts" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
-- Entitlements that concurrent acquires made twice: the organisation keeps its earliest live one,
-- and the later ones end as revoked before the index that forbids them is built.
UPDATE "entitlements" AS e SET "state" = 'revoked', "revoked_at" = now(),
  "revoked_reason" = 'a duplicate of an earlier live entitlement to the same listing'
WHERE e."revoked_at" IS NULL AND e."state" IN ('active', 'trialing', 'past_due')
  AND EXISTS (
    SELECT 1 FROM "entitlements" AS f
    WHERE f."org_id" = e."org_id" AND f."listing_id" = e."listing_id"
      AND f."revoked_at" IS NULL AND f."state" IN ('active', 'trialing', 'past_due')
      AND (f."created_at", f."id") < (e."created_at", e."id")
  );--> statement-breakpoint
CREATE UNIQUE INDEX "entitlements_one_live_uq" ON "entitlements" USING btree ("org_id","listing_id") WHERE revoked_at is null and state in ('active', 'trialing', 'past_due');