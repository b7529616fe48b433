import type { FormObject, FormValue } from "./form.ts";
import { createAccount, createAccountLink, destinationOf } from "./connect.ts";
import { createMeter, createMeterEvent } from "./meters.ts";
import {
  all,
  amount,
  find,
  required,
  type StandinState,
  StripeError,
  type StripeObject,
  stripeId,
} from "./objects.ts";
import { refund } from "./refunds.ts";
import { cancelSubscription, updateSubscription } from "./subscriptions.ts";

/** The REST routes the stand-in answers, each a handler of the stand-in's state and the request's form. */
export type Handler = (
  state: StandinState,
  params: FormObject,
  id: string | undefined,
) => StripeObject | Promise<StripeObject>;

function create(
  kind: string,
  prefix: string,
  build: (p: FormObject, s: StandinState) => Record<string, unknown>,
): Handler {
  return (state, params) => {
    const object: StripeObject = {
      id: stripeId(prefix),
      object: kind,
      created: state.now(),
      livemode: false,
      ...build(params, state),
    };
    state.objects.get(kind)!.set(object.id, object);
    return object;
  };
}

const metadata = (p: FormObject) => (typeof p.metadata === "object" ? p.metadata : {});

function createSession(state: StandinState, p: FormObject): StripeObject {
  const mode = required(p, "mode");
  const items = Array.isArray(p.line_items) ? (p.line_items as FormObject[]) : [];
  if (items.length === 0)
    throw new StripeError(400, "Missing required param: line_items.", {
      code: "parameter_missing",
      param: "line_items",
    });
  const prices = items.map((item) =>
    find(state, "price", typeof item.price === "string" ? item.price : undefined),
  );
  const metered = (price: StripeObject) => (price.recurring as FormObject | null)?.usage_type === "metered";
  prices.forEach((price, i) => {
    if (metered(price) && items[i]!.quantity !== undefined)
      throw new StripeError(400, "Quantity should not be specified where usage_type is `metered`.", {
        param: `line_items[${i}][quantity]`,
      });
  });
  const quantity = (item: FormObject) => amount(item.quantity ?? "1", "line_items[0][quantity]");
  // A metered price is billed in arrears: nothing of it is due at checkout.
  const total = prices.reduce(
    (sum, price, i) => sum + (metered(price) ? 0 : (price.unit_amount as number) * quantity(items[i]!)),
    0,
  );
  if (mode === "payment" && prices.some((p) => p.recurring))
    throw new StripeError(400, "You specified `payment` mode but passed a recurring price.", {
      param: "mode",
    });
  if (mode === "subscription" && !prices.every((p) => p.recurring))
    throw new StripeError(400, "You must provide at least one recurring price in `subscription` mode.", {
      param: "mode",
    });
  const subscriptionData =
    typeof p.subscription_data === "object" ? (p.subscription_data as FormObject) : null;
  // A destination charge names an account that has finished onboarding.
  const intentData = typeof p.payment_intent_data === "object" ? (p.payment_intent_data as FormObject) : null;
  destinationOf(state, intentData?.transfer_data);
  destinationOf(state, subscriptionData?.transfer_data);
  const trial = mode === "subscription" && typeof subscriptionData?.trial_period_days === "string";
  const id = stripeId("cs_test");
  const session: StripeObject = {
    id,
    object: "checkout.session",
    created: state.now(),
    // Stripe's default: a session can be paid for 24 hours.
    expires_at: typeof p.expires_at === "string" ? amount(p.expires_at, "expires_at") : state.now() + 86_400,
    livemode: false,
    mode,
    status: "open",
    payment_status: "unpaid",
    // A trial's first invoice is free: nothing is charged at checkout.
    amount_total: trial ? 0 : total,
    currency: prices[0]!.currency,
    customer: typeof p.customer === "string" ? p.customer : null,
    client_reference_id: typeof p.client_reference_id === "string" ? p.client_reference_id : null,
    metadata: metadata(p),
    success_url: required(p, "success_url"),
    cancel_url: typeof p.cancel_url === "string" ? p.cancel_url : null,
    payment_intent: null,
    subscription: null,
    url: `${state.url}/pay/${id}`,
    line_items: items.map((item, i) => ({ price: prices[i]!.id, quantity: quantity(item) })),
    payment_intent_data: typeof p.payment_intent_data === "object" ? p.payment_intent_data : null,
    subscription_data: subscriptionData,
  };
  state.objects.get("checkout.session")!.set(id, session);
  return session;
}

function recurringOf(state: StandinState, r: FormObject) {
  const usageType = r.usage_type ?? "licensed";
  if (usageType === "metered" && typeof r.meter !== "string")
    throw new StripeError(400, "A metered price needs a meter.", { param: "recurring[meter]" });
  return {
    interval: r.interval,
    interval_count: 1,
    usage_type: usageType,
    meter: usageType === "metered" ? find(state, "billing.meter", r.meter as string).id : null,
  };
}

function transformOf(t: FormValue | undefined) {
  if (typeof t !== "object" || Array.isArray(t)) return null;
  if (t.round !== "up" && t.round !== "down")
    throw new StripeError(400, "transform_quantity[round] is up or down.", {
      param: "transform_quantity[round]",
    });
  return { divide_by: amount(t.divide_by, "transform_quantity[divide_by]"), round: t.round };
}

/** A list of a kind's objects in Stripe's list shape, filtered by one field when the request names it. */
function listOf(kind: string, url: string, filter: string): Handler {
  return (state, params) => ({
    id: "list",
    object: "list",
    url,
    has_more: false,
    data: all(state, kind).filter((o) => params[filter] === undefined || o[filter] === params[filter]),
  });
}

export const ROUTES: Array<{ method: string; pattern: RegExp; handler: Handler }> = [
  {
    method: "POST",
    pattern: /^\/v1\/customers$/,
    handler: create("customer", "cus", (p) => ({
      email: p.email ?? null,
      name: p.name ?? null,
      metadata: metadata(p),
    })),
  },
  { method: "GET", pattern: /^\/v1\/customers\/([\w-]+)$/, handler: (s, _, id) => find(s, "customer", id) },
  {
    method: "POST",
    pattern: /^\/v1\/products$/,
    handler: create("product", "prod", (p) => ({
      name: required(p, "name"),
      active: true,
      metadata: metadata(p),
    })),
  },
  {
    method: "POST",
    pattern: /^\/v1\/prices$/,
    handler: create("price", "price", (p, s) => ({
      product: find(s, "product", required(p, "product")).id,
      unit_amount: amount(p.unit_amount, "unit_amount"),
      currency: required(p, "currency").toLowerCase(),
      recurring: typeof p.recurring === "object" ? recurringOf(s, p.recurring as FormObject) : null,
      transform_quantity: transformOf(p.transform_quantity),
      type: typeof p.recurring === "object" ? "recurring" : "one_time",
      active: true,
      metadata: metadata(p),
    })),
  },
  { method: "POST", pattern: /^\/v1\/billing\/meters$/, handler: createMeter },
  { method: "POST", pattern: /^\/v1\/accounts$/, handler: createAccount },
  { method: "GET", pattern: /^\/v1\/accounts\/([\w-]+)$/, handler: (s, _, id) => find(s, "account", id) },
  { method: "POST", pattern: /^\/v1\/account_links$/, handler: createAccountLink },
  {
    method: "GET",
    pattern: /^\/v1\/transfers$/,
    handler: listOf("transfer", "/v1/transfers", "destination"),
  },
  { method: "POST", pattern: /^\/v1\/billing\/meter_events$/, handler: createMeterEvent },
  { method: "POST", pattern: /^\/v1\/checkout\/sessions$/, handler: (s, p) => createSession(s, p) },
  {
    method: "GET",
    pattern: /^\/v1\/checkout\/sessions\/([\w-]+)$/,
    handler: (s, _, id) => find(s, "checkout.session", id),
  },
  {
    method: "GET",
    pattern: /^\/v1\/payment_intents\/([\w-]+)$/,
    handler: (s, _, id) => find(s, "payment_intent", id),
  },
  { method: "POST", pattern: /^\/v1\/refunds$/, handler: (s, p) => refund(s, p) },
  {
    method: "GET",
    pattern: /^\/v1\/subscriptions\/([\w-]+)$/,
    handler: (s, _, id) => find(s, "subscription", id),
  },
  { method: "POST", pattern: /^\/v1\/subscriptions\/([\w-]+)$/, handler: updateSubscription },
  { method: "DELETE", pattern: /^\/v1\/subscriptions\/([\w-]+)$/, handler: cancelSubscription },
  { method: "GET", pattern: /^\/v1\/invoices\/([\w-]+)$/, handler: (s, _, id) => find(s, "invoice", id) },
  {
    method: "GET",
    pattern: /^\/v1\/invoice_payments$/,
    handler: listOf("invoice_payment", "/v1/invoice_payments", "invoice"),
  },
];

export const KINDS = [
  "customer",
  "product",
  "price",
  "checkout.session",
  "payment_intent",
  "refund",
  "subscription",
  "invoice",
  "invoice_payment",
  "billing.meter",
  "billing.meter_event",
  "account",
  "account_link",
  "charge",
  "transfer",
];
