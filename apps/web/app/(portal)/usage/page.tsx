"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { DailyChart } from "../../_components/chart";
import { Empty, ErrorBox, Loading } from "../../_components/feedback";
import { useTRPC } from "../../_lib/trpc";

export default function UsagePage() {
  const trpc = useTRPC();
  const [days, setDays] = useState(30);
  const report = useQuery(trpc.usage.report.queryOptions({ days }));
  const data = report.data;
  const toSeries = (list: Array<{ name: string; calls: Record<string, number> }>) =>
    list.map((s) => ({ name: s.name, values: data!.days.map((d) => s.calls[d] ?? 0) }));
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Usage</h1>
          <p>Agent calls per day, by installed cube and by API key.</p>
        </div>
        <label className="row small">
          Period
          <select value={days} onChange={(e) => setDays(Number(e.target.value))} style={{ width: "auto" }}>
            <option value={7}>7 days</option>
            <option value={30}>30 days</option>
            <option value={90}>90 days</option>
          </select>
        </label>
      </div>
      <ErrorBox error={report.error} />
      {!data ? (
        report.isPending && <Loading what="usage" />
      ) : data.by_install.length === 0 ? (
        <Empty title="No agent calls yet">
          <p>Create an API key and let an agent search a vault; its calls show up here the same day.</p>
        </Empty>
      ) : (
        <div className="stack">
          <DailyChart
            title="Calls per install"
            days={data.days}
            series={toSeries(data.by_install)}
            unit="calls"
          />
          <DailyChart title="Calls per key" days={data.days} series={toSeries(data.by_key)} unit="calls" />
        </div>
      )}
    </>
  );
}
