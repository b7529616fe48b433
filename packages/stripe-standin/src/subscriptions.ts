import type { FormObject } from "./form.ts";
import { settle } from "./connect.ts";
import { periodAmount } from "./meters.ts";
import {
  all,
  CARDS,
  find,
  type StandinState,
  StripeError,
  stripeId,
  type StripeObject,
  text,
} from "./objects.ts";

/**
 * Subscriptions as Stripe bills them, on the stand-in's clock: a trial, then an invoice each period
 * charged to the customer's card; a failed charge makes the subscription `past_due` and is tried
 * again RETRY_DAYS after the renewal; when the last try fails the subscription is canceled (Stripe's
 * retry settings with "cancel the subscription" chosen). Cancel at period end ends it at renewal.
 * Shapes follow Stripe's current API: periods on the subscription item, an invoice's subscription
 * under `parent.subscription_details`, its payments as `invoice_payment` objects.
 */
export const RETRY_DAYS = [3, 7];
const DAY = 86_400;

type Item = StripeObject & { price: StripeObject; current_period_start: number; current_period_end: number };
const itemOf = (sub: StripeObject) => (sub.items as { data: Item[] }).data[0]!;

function addInterval(from: number, interval: unknown): number {
  const date = new Date(from * 1000);
  if (interval === "year") date.setUTCFullYear(date.getUTCFullYear() + 1);
  else date.setUTCMonth(date.getUTCMonth() + 1);
  return Math.floor(date.getTime() / 1000);
}

/** `application_fee_percent` ("15", "12.5") as basis points, read from its digits. */
function feeBasisPoints(percent: unknown): number | null {
  const match = typeof percent === "string" ? /^(\d{1,3})(?:\.(\d{1,2}))?$/.exec(percent) : null;
  return match ? Number(match[1]) * 100 + Number((match[2] ?? "").padEnd(2, "0")) : null;
}

function invoiceFor(state: StandinState, sub: StripeObject, amount: number, reason: string): StripeObject {
  const item = itemOf(sub);
  const invoice: StripeObject = {
    id: stripeId("in"),
    object: "invoice",
    created: state.now(),
    livemode: false,
    customer: sub.customer,
    currency: item.price.currency,
    amount_due: amount,
    amount_paid: 0,
    amount_remaining: amount,
    status: "open",
    billing_reason: reason,
    attempt_count: 0,
    next_payment_attempt: null,
    period_start: item.current_period_start,
    period_end: item.current_period_end,
    parent: {
      type: "subscription_details",
      subscription_details: { subscription: sub.id, metadata: sub.metadata },
    },
    lines: {
      object: "list",
      data: [{ amount, currency: item.price.currency, pricing: { price_details: { price: item.price.id } } }],
    },
  };
  state.objects.get("invoice")!.set(invoice.id, invoice);
  sub.latest_invoice = invoice.id;
  return invoice;
}

/** The subscription's application fee on an amount, in whole minor units rounded down. */
function applicationFee(sub: StripeObject, amount: number): number | null {
  const bps = sub.application_fee_percent === null ? null : feeBasisPoints(text(sub.application_fee_percent));
  return bps === null ? null : (amount * bps - ((amount * bps) % 10_000)) / 10_000;
}

/** Charges an invoice to the customer's card: paid (with its payment intent) or not. */
function attempt(state: StandinState, invoice: StripeObject, sub: StripeObject): boolean {
  invoice.attempt_count = (invoice.attempt_count as number) + 1;
  const amount = invoice.amount_due as number;
  if (amount > 0 && state.cards.get(String(invoice.customer)) !== CARDS.pays) return false;
  if (amount > 0) {
    const intent: StripeObject = {
      id: stripeId("pi"),
      object: "payment_intent",
      created: state.now(),
      livemode: false,
      amount,
      amount_received: amount,
      currency: invoice.currency,
      customer: invoice.customer,
      status: "succeeded",
      application_fee_amount: applicationFee(sub, amount),
      transfer_data: sub.transfer_data,
      metadata: {},
    };
    state.objects.get("payment_intent")!.set(intent.id, intent);
    settle(state, intent);
    const payment: StripeObject = {
      id: stripeId("inpay"),
      object: "invoice_payment",
      created: state.now(),
      livemode: false,
      invoice: invoice.id,
      amount_paid: amount,
      currency: invoice.currency,
      is_default: true,
      status: "paid",
      payment: { type: "payment_intent", payment_intent: intent.id },
    };
    state.objects.get("invoice_payment")!.set(payment.id, payment);
  }
  Object.assign(invoice, {
    status: "paid",
    amount_paid: amount,
    amount_remaining: 0,
    next_payment_attempt: null,
  });
  return true;
}

/** The subscription a paid subscription-mode Checkout Session starts, with its first invoice paid. */
export async function startSubscription(state: StandinState, session: StripeObject): Promise<StripeObject> {
  const line = (session.line_items as Array<{ price: string }>)[0]!;
  const price = find(state, "price", line.price);
  const data = (session.subscription_data ?? {}) as FormObject;
  const trialDays = typeof data.trial_period_days === "string" ? Number(data.trial_period_days) : 0;
  const start = state.now();
  const anchor = typeof data.billing_cycle_anchor === "string" ? Number(data.billing_cycle_anchor) : null;
  if (anchor !== null && (!Number.isSafeInteger(anchor) || anchor <= start))
    throw new StripeError(400, "billing_cycle_anchor must be in the future.", {
      param: "subscription_data[billing_cycle_anchor]",
    });
  const end =
    trialDays > 0
      ? start + trialDays * DAY
      : (anchor ?? addInterval(start, (price.recurring as FormObject).interval));
  const sub: StripeObject = {
    id: stripeId("sub"),
    object: "subscription",
    created: start,
    livemode: false,
    customer: session.customer,
    currency: price.currency,
    status: trialDays > 0 ? "trialing" : "active",
    cancel_at_period_end: false,
    canceled_at: null,
    ended_at: null,
    trial_start: trialDays > 0 ? start : null,
    trial_end: trialDays > 0 ? end : null,
    metadata: typeof data.metadata === "object" ? data.metadata : {},
    application_fee_percent:
      typeof data.application_fee_percent === "string" ? Number(data.application_fee_percent) : null,
    transfer_data: data.transfer_data ?? null,
    latest_invoice: null,
    items: {
      object: "list",
      data: [
        {
          id: stripeId("si"),
          object: "subscription_item",
          price,
          quantity: 1,
          current_period_start: start,
          current_period_end: end,
        },
      ],
    },
  };
  state.objects.get("subscription")!.set(sub.id, sub);
  // A metered price's first invoice is nothing: its usage is billed at the period's end.
  const metered = (price.recurring as FormObject).usage_type === "metered";
  const invoice = invoiceFor(
    state,
    sub,
    trialDays > 0 || metered ? 0 : (price.unit_amount as number),
    "subscription_create",
  );
  if (!attempt(state, invoice, sub))
    throw new StripeError(402, "Your card was declined.", { code: "card_declined" });
  await state.emit("customer.subscription.created", sub);
  await state.emit("invoice.paid", invoice);
  return sub;
}

/** POST /v1/subscriptions/:id — cancel at period end (or not), a new price from the next period, metadata. */
export async function updateSubscription(state: StandinState, p: FormObject, id: string | undefined) {
  const sub = find(state, "subscription", id);
  if (sub.status === "canceled")
    throw new StripeError(
      400,
      "A canceled subscription can only update its cancellation_details and metadata.",
    );
  if (p.cancel_at_period_end !== undefined) sub.cancel_at_period_end = p.cancel_at_period_end === "true";
  const items = Array.isArray(p.items) ? (p.items as FormObject[]) : [];
  for (const change of items) {
    const item = itemOf(sub);
    if (change.id !== undefined && change.id !== item.id)
      throw new StripeError(400, `No such subscription item: '${text(change.id)}'`, { param: "items" });
    if (typeof change.price === "string") item.price = find(state, "price", change.price);
  }
  if (typeof p.metadata === "object") sub.metadata = { ...(sub.metadata as object), ...p.metadata };
  await state.emit("customer.subscription.updated", sub);
  return sub;
}

async function cancel(state: StandinState, sub: StripeObject, reason: string) {
  Object.assign(sub, {
    status: "canceled",
    canceled_at: state.now(),
    ended_at: state.now(),
    cancellation_details: { reason },
  });
  await state.emit("customer.subscription.deleted", sub);
}

/** DELETE /v1/subscriptions/:id — ends it now. */
export async function cancelSubscription(state: StandinState, _: FormObject, id: string | undefined) {
  const sub = find(state, "subscription", id);
  if (sub.status === "canceled") throw new StripeError(400, "This subscription is already canceled.");
  await cancel(state, sub, "cancellation_requested");
  return sub;
}

const live = (sub: StripeObject) => ["trialing", "active", "past_due"].includes(String(sub.status));

/** The next moment something is due: a renewal or a retry, at or before `until`. */
function nextDue(state: StandinState, until: number): number | null {
  const times = [
    ...all(state, "subscription")
      .filter(live)
      .map((s) => itemOf(s).current_period_end),
    ...all(state, "invoice")
      .filter((i) => i.status === "open" && typeof i.next_payment_attempt === "number")
      .map((i) => i.next_payment_attempt as number),
  ].filter((t) => t <= until);
  return times.length ? Math.min(...times) : null;
}

async function renew(state: StandinState, sub: StripeObject) {
  if (sub.cancel_at_period_end) return cancel(state, sub, "cancellation_requested");
  const item = itemOf(sub);
  // Licensed prices bill the period ahead; metered ones the usage of the period just ended.
  const metered = (item.price.recurring as FormObject).usage_type === "metered";
  const usage = metered
    ? periodAmount(
        state,
        item.price,
        String(sub.customer),
        item.current_period_start,
        item.current_period_end,
      )
    : 0;
  item.current_period_start = item.current_period_end;
  item.current_period_end = addInterval(
    item.current_period_start,
    (item.price.recurring as FormObject).interval,
  );
  const amountDue = metered ? usage : (item.price.unit_amount as number);
  const invoice = invoiceFor(state, sub, amountDue, "subscription_cycle");
  if (attempt(state, invoice, sub)) {
    sub.status = "active";
    await state.emit("invoice.paid", invoice);
  } else {
    sub.status = "past_due";
    invoice.next_payment_attempt = (invoice.created as number) + RETRY_DAYS[0]! * DAY;
    await state.emit("invoice.payment_failed", invoice);
  }
  await state.emit("customer.subscription.updated", sub);
}

async function retry(state: StandinState, invoice: StripeObject) {
  const details = (invoice.parent as { subscription_details: { subscription: string } }).subscription_details;
  const sub = find(state, "subscription", details.subscription);
  if (attempt(state, invoice, sub)) {
    sub.status = "active";
    await state.emit("invoice.paid", invoice);
    await state.emit("customer.subscription.updated", sub);
    return;
  }
  const tries = (invoice.attempt_count as number) - 1;
  invoice.next_payment_attempt =
    tries < RETRY_DAYS.length ? (invoice.created as number) + RETRY_DAYS[tries]! * DAY : null;
  await state.emit("invoice.payment_failed", invoice);
  if (invoice.next_payment_attempt === null) {
    invoice.status = "uncollectible";
    await cancel(state, sub, "payment_failed");
  }
}

/**
 * Moves the clock to `until`, doing in order of time everything that falls due on the way:
 * renewals (and trial ends), cancellations at period end, retries of failed charges.
 */
export async function advanceTo(state: StandinState, until: number, setClock: (t: number) => void) {
  for (let due = nextDue(state, until); due !== null; due = nextDue(state, until)) {
    setClock(due);
    for (const sub of all(state, "subscription"))
      if (live(sub) && itemOf(sub).current_period_end === due) await renew(state, sub);
    for (const invoice of all(state, "invoice"))
      if (invoice.status === "open" && invoice.next_payment_attempt === due) await retry(state, invoice);
  }
  setClock(until);
}
