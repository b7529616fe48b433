import { formatMinor } from "@memstore/core";
import type { Pricing } from "@memstore/sdk";
import { Command } from "commander";
import { clientFrom, keyOption, urlOption } from "../client.ts";

type Options = { url: string; key: string; json?: boolean };

/** A listing's price as a person reads it: "free", "19.99 USD", "9.00 EUR / month (14-day trial)". */
export function priceText(pricing: Pricing | Record<string, unknown>): string {
  const p = pricing as Pricing;
  switch (p.model) {
    case "free":
      return "free";
    case "one_time":
      return formatMinor(p.amount_cents, p.currency);
    case "subscription":
      return `${formatMinor(p.amount_cents, p.currency)} / ${p.interval}${p.trial_days ? ` (${p.trial_days}-day trial)` : ""}`;
    case "usage":
      return `${formatMinor(p.unit_amount_cents, p.currency)} per 1,000 calls`;
    default:
      return String((pricing as { model?: unknown }).model);
  }
}

/** `memstore listings`: a publisher's listings, and their status changed from a script. */
export function listingsCommand(): Command {
  const listings = new Command("listings")
    .description("your organisation's listings: status, price, installs")
    .option("--json", "print the raw JSON")
    .addOption(urlOption())
    .addOption(keyOption())
    .action(async (options: Options) => {
      const client = clientFrom(options);
      const all = [];
      let cursor: string | undefined;
      do {
        const page = await client.listListings({ limit: 100, cursor });
        all.push(...page.items);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      if (options.json) return console.log(JSON.stringify(all, null, 2));
      if (all.length === 0) return console.log("no listings");
      for (const l of all) {
        console.log(
          `${l.id}  ${l.status.padEnd(9)}  ${l.cube.slug.padEnd(24)}  ${priceText(l.pricing).padEnd(28)}  ${l.installs} installs`,
        );
      }
    });
  for (const transition of ["suspend", "resume", "retire"] as const) {
    listings
      .command(transition)
      .argument("<listing_id>")
      .description(
        {
          suspend: "hide a listing from the store; holders keep using it",
          resume: "publish a suspended listing again",
          retire: "retire a listing for good: no new buyers, no renewals",
        }[transition],
      )
      .addOption(urlOption())
      .addOption(keyOption())
      .action(async (listingId: string, options: Options) => {
        const listing = await clientFrom(options).setListingStatus(listingId, transition);
        console.log(`${listing.id} is ${listing.status}`);
      });
  }
  return listings;
}

/** `memstore sales`: the publisher's revenue, fees and refunds per listing and day, in the listing's currency. */
export function salesCommand(): Command {
  return new Command("sales")
    .description("sales per listing and UTC day: revenue, fees, refunds, new and canceled entitlements")
    .option("--from <date>", "first day, YYYY-MM-DD (default: 30 days ago)")
    .option("--to <date>", "last day, YYYY-MM-DD (default: today)")
    .option("--json", "print the raw JSON")
    .addOption(urlOption())
    .addOption(keyOption())
    .action(async (options: Options & { from?: string; to?: string }) => {
      const report = await clientFrom(options).commerce.sales({ from: options.from, to: options.to });
      if (options.json) return console.log(JSON.stringify(report, null, 2));
      const days = report.items.filter((d) => d.revenue_cents > 0 || d.new > 0 || d.canceled > 0);
      if (days.length === 0) return console.log("no sales in this period");
      for (const d of days) {
        const money = (cents: number) => (d.currency ? formatMinor(cents, d.currency) : String(cents));
        console.log(
          `${d.day}  ${d.listing_id}  revenue ${money(d.revenue_cents)}  fees ${money(d.fees_cents)}  refunded ${money(d.refunded_cents)}  new ${d.new}  canceled ${d.canceled}`,
        );
      }
    });
}
