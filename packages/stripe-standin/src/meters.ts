import type { FormObject } from "./form.ts";
import {
  all,
  find,
  required,
  type StandinState,
  StripeError,
  stripeId,
  type StripeObject,
  text,
} from "./objects.ts";

/**
 * Usage-based billing as Stripe's Billing Meters do it: a meter sums the `value` of the meter events
 * sent under its `event_name` per customer; a metered price bills a period's sum in arrears, divided
 * by its `transform_quantity` and rounded as it says. An event whose identifier was seen before is
 * dropped (Stripe keeps identifiers unique for at least 24 hours).
 */
export function createMeter(state: StandinState, p: FormObject): StripeObject {
  const eventName = required(p, "event_name");
  if (all(state, "billing.meter").some((m) => m.event_name === eventName && m.status === "active"))
    throw new StripeError(400, `An active meter with event_name '${eventName}' already exists.`, {
      param: "event_name",
    });
  const aggregation = (p.default_aggregation ?? {}) as FormObject;
  if (aggregation.formula !== "sum")
    throw new StripeError(400, "The stand-in's meters aggregate with formula 'sum' only.", {
      param: "default_aggregation[formula]",
    });
  const meter: StripeObject = {
    id: stripeId("mtr"),
    object: "billing.meter",
    created: state.now(),
    livemode: false,
    display_name: required(p, "display_name"),
    event_name: eventName,
    status: "active",
    default_aggregation: { formula: "sum" },
    customer_mapping: {
      type: "by_id",
      event_payload_key:
        (p.customer_mapping as FormObject | undefined)?.event_payload_key ?? "stripe_customer_id",
    },
    value_settings: {
      event_payload_key: (p.value_settings as FormObject | undefined)?.event_payload_key ?? "value",
    },
  };
  state.objects.get("billing.meter")!.set(meter.id, meter);
  return meter;
}

export function createMeterEvent(state: StandinState, p: FormObject): StripeObject {
  const eventName = required(p, "event_name");
  const meter = all(state, "billing.meter").find((m) => m.event_name === eventName && m.status === "active");
  if (!meter)
    throw new StripeError(400, `No active meter with event_name '${eventName}'.`, { param: "event_name" });
  const payload = (typeof p.payload === "object" ? p.payload : {}) as FormObject;
  const customerKey = text((meter.customer_mapping as FormObject).event_payload_key);
  const valueKey = text((meter.value_settings as FormObject).event_payload_key);
  find(state, "customer", typeof payload[customerKey] === "string" ? payload[customerKey] : undefined);
  const value = payload[valueKey];
  if (typeof value !== "string" || !/^\d{1,15}$/.test(value))
    throw new StripeError(400, `The payload's '${valueKey}' must be a whole number.`, {
      param: `payload[${valueKey}]`,
    });
  const identifier = typeof p.identifier === "string" ? p.identifier : stripeId("mev");
  const timestamp = typeof p.timestamp === "string" ? Number(p.timestamp) : state.now();
  if (
    !Number.isSafeInteger(timestamp) ||
    timestamp < state.now() - 35 * 86_400 ||
    timestamp > state.now() + 300
  )
    throw new StripeError(
      400,
      "A meter event's timestamp must be within the past 35 days or 5 minutes ahead.",
      {
        param: "timestamp",
      },
    );
  const event: StripeObject = {
    id: identifier,
    object: "billing.meter_event",
    created: state.now(),
    livemode: false,
    event_name: eventName,
    identifier,
    payload,
    timestamp,
  };
  const kept = state.objects.get("billing.meter_event")!;
  if (!kept.has(identifier)) kept.set(identifier, event);
  return kept.get(identifier)!;
}

/** The sum a meter recorded for a customer in [from, to). */
export function meteredSum(state: StandinState, meterId: string, customer: string, from: number, to: number) {
  const meter = find(state, "billing.meter", meterId);
  const customerKey = text((meter.customer_mapping as FormObject).event_payload_key);
  const valueKey = text((meter.value_settings as FormObject).event_payload_key);
  return all(state, "billing.meter_event")
    .filter((e) => e.event_name === meter.event_name)
    .filter((e) => (e.payload as FormObject)[customerKey] === customer)
    .filter((e) => (e.timestamp as number) >= from && (e.timestamp as number) < to)
    .reduce((sum, e) => sum + Number((e.payload as FormObject)[valueKey]), 0);
}

/**
 * What a price charges for a period: a licensed price its unit amount; a metered one the customer's
 * metered sum over the period, through its `transform_quantity` (divide, round up or down).
 */
export function periodAmount(
  state: StandinState,
  price: StripeObject,
  customer: string,
  from: number,
  to: number,
): number {
  const recurring = (price.recurring ?? {}) as FormObject;
  if (recurring.usage_type !== "metered") return price.unit_amount as number;
  let quantity = meteredSum(state, text(recurring.meter), customer, from, to);
  const transform = price.transform_quantity as { divide_by: number; round: string } | null;
  if (transform) {
    const whole = (quantity - (quantity % transform.divide_by)) / transform.divide_by;
    quantity = transform.round === "up" && quantity % transform.divide_by !== 0 ? whole + 1 : whole;
  }
  return quantity * (price.unit_amount as number);
}
