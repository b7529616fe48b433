CREATE TABLE "payout_accounts" (
	"org_id" text PRIMARY KEY NOT NULL,
	"stripe_account_id" text NOT NULL,
	"charges_enabled" boolean DEFAULT false NOT NULL,
	"payouts_enabled" boolean DEFAULT false NOT NULL,
	"details_submitted" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payout_accounts_stripe_account_id_unique" UNIQUE("stripe_account_id")
);
--> statement-breakpoint
CREATE TABLE "usage_reports" (
	"entitlement_id" text NOT NULL,
	"month" text NOT NULL,
	"calls" bigint DEFAULT 0 NOT NULL,
	"reported_calls" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "usage_reports_entitlement_id_month_pk" PRIMARY KEY("entitlement_id","month")
);
--> statement-breakpoint
ALTER TABLE "license_usage" ADD COLUMN "call_limit" integer;--> statement-breakpoint
ALTER TABLE "listing_prices" ADD COLUMN "stripe_meter_id" text;--> statement-breakpoint
ALTER TABLE "sales" ADD COLUMN "destination_account" text;--> statement-breakpoint
ALTER TABLE "payout_accounts" ADD CONSTRAINT "payout_accounts_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "usage_reports" ADD CONSTRAINT "usage_reports_entitlement_id_entitlements_id_fk" FOREIGN KEY ("entitlement_id") REFERENCES "public"."entitlements"("id") ON DELETE cascade ON UPDATE no action;