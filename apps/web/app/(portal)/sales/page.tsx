"use client";
import { formatMinor } from "@memstore/core";
import { useMutation, useQuery } from "@tanstack/react-query";
import { DailyChart } from "../../_components/chart";
import { Empty, ErrorBox, Loading } from "../../_components/feedback";
import { useTRPC } from "../../_lib/trpc";
import { Holders } from "./holders";

/**
 * The publisher's sales: revenue and agent calls per listing and day as charts, the payout account
 * and what was transferred, held or reversed, and for each listing who holds it (with revoke).
 */
export default function SalesPage() {
  const trpc = useTRPC();
  const sales = useQuery(trpc.commerce.sales.queryOptions({}));
  const listings = useQuery(trpc.publishing.listings.queryOptions({ limit: 100 }));
  const titleOf = (id: string) => listings.data?.items.find((l) => l.id === id)?.cube.title ?? id;
  const data = sales.data;
  const days = data ? [...new Set(data.items.map((d) => d.day))].sort() : [];
  const ids = data ? [...new Set(data.items.map((d) => d.listing_id))] : [];
  // Each listing's price is in one currency: revenue is charted per currency, in its own units.
  const currencyOf = (id: string) =>
    (listings.data?.items.find((l) => l.id === id)?.pricing as { currency?: string } | undefined)?.currency;
  const currencies = [...new Set(ids.map(currencyOf).filter((c): c is string => Boolean(c)))];
  const series = (
    pick: (d: NonNullable<typeof data>["items"][number]) => number,
    include: (id: string) => boolean = () => true,
  ) =>
    ids.filter(include).map((id) => ({
      name: titleOf(id),
      values: days.map((day) => {
        const row = data!.items.find((d) => d.listing_id === id && d.day === day);
        return row ? pick(row) : 0;
      }),
    }));
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Sales</h1>
          <p>
            Revenue, the platform&apos;s fees and refunds per listing and day (UTC), your payouts, and who
            holds each listing.
          </p>
        </div>
      </div>
      <ErrorBox error={sales.error ?? listings.error} />
      <Payouts />
      {!data ? (
        <Loading what="sales" />
      ) : ids.length === 0 ? (
        <Empty title="Nothing listed yet">
          <p>List a cube from the studio; its sales show here the day they happen.</p>
        </Empty>
      ) : (
        <div className="stack">
          <SalesTotals items={data.items} titleOf={titleOf} />
          {currencies.map((currency) => (
            <DailyChart
              key={currency}
              title={`Revenue per listing (${currency.toUpperCase()})`}
              days={days}
              series={series(
                (d) => d.revenue_cents,
                (id) => currencyOf(id) === currency,
              )}
              unit={currency.toUpperCase()}
              format={(cents) => formatMinor(cents, currency)}
            />
          ))}
          <DailyChart
            title="Agent calls per listing"
            days={days}
            series={series((d) => d.agent_calls)}
            unit="calls"
          />
          <DailyChart
            title="Questions buyers tried before buying, per listing"
            days={days}
            series={series((d) => d.previews.questions)}
            unit="questions"
          />
          {ids.map((id) => (
            <Holders key={id} listingId={id} title={titleOf(id)} />
          ))}
        </div>
      )}
    </>
  );
}

type Day = {
  listing_id: string;
  currency: string | null;
  revenue_cents: number;
  fees_cents: number;
  refunded_cents: number;
};

/** The period's totals per listing and currency, in exact cents. */
function SalesTotals({ items, titleOf }: { items: Day[]; titleOf: (id: string) => string }) {
  const totals = new Map<string, Day>();
  for (const d of items) {
    if (!d.currency) continue;
    const key = `${d.listing_id}:${d.currency}`;
    const t = totals.get(key) ?? { ...d, revenue_cents: 0, fees_cents: 0, refunded_cents: 0 };
    t.revenue_cents += d.revenue_cents;
    t.fees_cents += d.fees_cents;
    t.refunded_cents += d.refunded_cents;
    totals.set(key, t);
  }
  if (totals.size === 0) return <p className="muted">No sales in the last 30 days.</p>;
  return (
    <div className="table-wrap">
      <table className="table" aria-label="Sales in the last 30 days">
        <thead>
          <tr>
            <th scope="col">Listing</th>
            <th scope="col">Revenue</th>
            <th scope="col">Platform fees</th>
            <th scope="col">Refunded</th>
          </tr>
        </thead>
        <tbody>
          {[...totals.values()].map((t) => (
            <tr key={`${t.listing_id}:${t.currency}`}>
              <td>{titleOf(t.listing_id)}</td>
              <td>{formatMinor(t.revenue_cents, t.currency!)}</td>
              <td>{formatMinor(t.fees_cents, t.currency!)}</td>
              <td>{formatMinor(t.refunded_cents, t.currency!)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The payout account (connect it, or finish onboarding) and the balances it was paid. */
function Payouts() {
  const trpc = useTRPC();
  const payouts = useQuery(trpc.commerce.payouts.queryOptions());
  const open = useMutation(
    trpc.commerce.openPayoutAccount.mutationOptions({
      onSuccess: (result) => window.location.assign(result.onboarding_url),
    }),
  );
  if (!payouts.data) return payouts.error ? <ErrorBox error={payouts.error} /> : <Loading what="payouts" />;
  const p = payouts.data;
  const ready = p.account?.charges_enabled;
  return (
    <section className="card stack" aria-labelledby="payouts-title">
      <div className="spread">
        <h2 id="payouts-title" style={{ margin: 0 }}>
          Payouts
        </h2>
        <span className="small muted">Platform fee {p.platform_fee_bps / 100}%</span>
      </div>
      {ready ? (
        <p style={{ margin: 0 }}>Your share of each sale goes to your payout account {p.account!.id}.</p>
      ) : (
        <div className="row">
          <span>
            {p.account
              ? "Finish setting up your payout account to be paid for each sale."
              : "Connect a payout account to be paid your share of each sale; until then the platform holds it."}
          </span>
          <button
            className="btn primary"
            type="button"
            onClick={() => open.mutate()}
            disabled={open.isPending}
          >
            {p.account ? "Finish payout setup" : "Connect payout account"}
          </button>
        </div>
      )}
      <ErrorBox error={open.error} />
      {p.balances.length > 0 && (
        <div className="table-wrap">
          <table className="table" aria-label="Payout balances">
            <thead>
              <tr>
                <th scope="col">Currency</th>
                <th scope="col">Revenue</th>
                <th scope="col">Fees</th>
                <th scope="col">Refunded</th>
                <th scope="col">Transferred</th>
                <th scope="col">Held</th>
              </tr>
            </thead>
            <tbody>
              {p.balances.map((b) => (
                <tr key={b.currency}>
                  <td>{b.currency.toUpperCase()}</td>
                  <td>{formatMinor(b.revenue_cents, b.currency)}</td>
                  <td>{formatMinor(b.fees_cents, b.currency)}</td>
                  <td>{formatMinor(b.refunded_cents, b.currency)}</td>
                  <td>{formatMinor(b.transferred_cents, b.currency)}</td>
                  <td>{formatMinor(b.held_cents, b.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
