"use client";
import { formatMinor, parseMinor } from "@memstore/core";
import { useState } from "react";
import { Field } from "./field";

type Pricing = {
  model: string;
  amount_cents?: number;
  unit_amount_cents?: number;
  currency?: string;
  interval?: string;
  trial_days?: number;
  included_calls?: number;
  monthly_cap_cents?: number;
};

/** A price as typed ("49.00", "4900" in yen) from its minor units, without floating point. */
const typed = (cents: number | undefined, currency = "") =>
  cents === undefined ? "" : formatMinor(cents, currency).slice(0, -currency.length - 1);

/**
 * How a listing is sold, as form fields: free, one-time, subscription (with a trial) or usage
 * (per 1,000 agent calls, with free calls and a monthly cap). Only the chosen model's fields show.
 */
export function PricingFields(props: { errors: Record<string, string | undefined>; current?: Pricing }) {
  const current = props.current ?? { model: "free" };
  const [model, setModel] = useState(current.model);
  const e = props.errors;
  return (
    <>
      <Field label="Price" error={e.pricing ?? e["pricing.model"]}>
        {(a) => (
          <select {...a} name="pricing" value={model} onChange={(event) => setModel(event.target.value)}>
            <option value="free">Free</option>
            <option value="one_time">One-time purchase</option>
            <option value="subscription">Subscription</option>
            <option value="usage">Usage (per 1,000 agent calls)</option>
          </select>
        )}
      </Field>
      {model !== "free" && (
        <>
          <Field
            label={model === "usage" ? "Price per 1,000 calls" : "Amount"}
            error={e["pricing.amount_cents"] ?? e["pricing.unit_amount_cents"]}
          >
            {(a) => (
              <input
                {...a}
                name="amount"
                inputMode="decimal"
                placeholder="e.g. 49.00"
                defaultValue={typed(current.amount_cents ?? current.unit_amount_cents, current.currency)}
              />
            )}
          </Field>
          <Field label="Currency" error={e["pricing.currency"]}>
            {(a) => <input {...a} name="currency" placeholder="eur" defaultValue={current.currency ?? ""} />}
          </Field>
        </>
      )}
      {model === "subscription" && (
        <>
          <Field label="Billed every" error={e["pricing.interval"]}>
            {(a) => (
              <select {...a} name="interval" defaultValue={current.interval ?? "month"}>
                <option value="month">Month</option>
                <option value="year">Year</option>
              </select>
            )}
          </Field>
          <Field label="Free trial (days)" error={e["pricing.trial_days"]} hint="Leave empty for no trial">
            {(a) => (
              <input {...a} name="trial_days" inputMode="numeric" defaultValue={current.trial_days ?? ""} />
            )}
          </Field>
        </>
      )}
      {model === "usage" && (
        <>
          <Field label="Free calls each month" error={e["pricing.included_calls"]}>
            {(a) => (
              <input
                {...a}
                name="included_calls"
                inputMode="numeric"
                defaultValue={current.included_calls ?? ""}
              />
            )}
          </Field>
          <Field
            label="Monthly cap"
            error={e["pricing.monthly_cap_cents"]}
            hint="Charges stop here; service does not"
          >
            {(a) => (
              <input
                {...a}
                name="monthly_cap"
                inputMode="decimal"
                defaultValue={typed(current.monthly_cap_cents, current.currency)}
              />
            )}
          </Field>
        </>
      )}
    </>
  );
}

const whole = (text: string | undefined) =>
  text ? (/^\d{1,9}$/.test(text.trim()) ? Number(text) : Number.NaN) : undefined;
const minor = (text: string | undefined, currency: string) => parseMinor(text ?? "", currency) ?? Number.NaN;

/** The pricing the fields say, for the API's own schema to check (amounts read digit by digit). */
export function pricingFrom(v: Record<string, string>): Record<string, unknown> {
  const currency = (v.currency || "eur").toLowerCase();
  switch (v.pricing) {
    case "one_time":
      return { model: "one_time", amount_cents: minor(v.amount, currency), currency };
    case "subscription":
      return {
        model: "subscription",
        amount_cents: minor(v.amount, currency),
        currency,
        interval: v.interval || "month",
        ...(v.trial_days ? { trial_days: whole(v.trial_days) } : {}),
      };
    case "usage":
      return {
        model: "usage",
        unit_amount_cents: minor(v.amount, currency),
        currency,
        ...(v.included_calls ? { included_calls: whole(v.included_calls) } : {}),
        ...(v.monthly_cap ? { monthly_cap_cents: minor(v.monthly_cap, currency) } : {}),
      };
    default:
      return { model: "free" };
  }
}
