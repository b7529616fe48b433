import type { ServerResponse } from "node:http";
import { formatMinor } from "@memstore/core";
import type { FormObject } from "./form.ts";
import { CARDS, find, type StandinState, StripeError, stripeId, type StripeObject, text } from "./objects.ts";
import { settle } from "./connect.ts";
import { startSubscription } from "./subscriptions.ts";

/**
 * The hosted checkout page a Checkout Session's `url` opens: what is bought, a card number field,
 * and Stripe's test cards — 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined, and
 * 4000 0000 0000 0341 is saved but fails every charge (so a trial starts and its renewal fails).
 */
const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function checkoutPage(
  state: StandinState,
  response: ServerResponse,
  session: StripeObject,
  problem?: { status: number; message: string },
) {
  const paid = session.status === "complete";
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Checkout (test mode)</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}
.banner{background:#fff3cd;border:1px solid #e0c060;padding:.5rem .75rem;border-radius:6px}
.error{color:#b00020}label,input,button{display:block;width:100%;margin:.5rem 0;font-size:1rem}
input{padding:.5rem}button{padding:.6rem;background:#635bff;color:#fff;border:0;border-radius:6px}</style></head>
<body><p class="banner">Test mode: MemStore's local Stripe stand-in. No real card is charged.</p>
<h1>${escape(headline(state, session))}</h1>
<p>${escape(String((session.metadata as Record<string, string>).title ?? "MemStore listing"))}${session.mode === "subscription" ? " (subscription)" : ""}</p>
${problem ? `<p class="error" role="alert">${escape(problem.message)}</p>` : ""}
${
  paid
    ? "<p>This checkout is already paid.</p>"
    : `<form method="post">
<label for="card">Card number</label><input id="card" name="card" inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242">
<button type="submit">Pay</button></form>
<p><small>Test cards: 4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined;
4000 0000 0000 0341 is saved but fails when charged.</small></p>`
}
${session.cancel_url ? `<p><a href="${escape(text(session.cancel_url))}">Cancel</a></p>` : ""}
</body></html>`;
  response.writeHead(problem?.status ?? 200, { "content-type": "text/html; charset=utf-8" });
  response.end(body);
}

/** What the buyer is asked: "Pay 19.99 USD", or a subscription's price per period and its trial. */
function headline(state: StandinState, session: StripeObject): string {
  const total = formatMinor(session.amount_total as number, String(session.currency));
  if (session.mode !== "subscription") return `Pay ${total}`;
  const price = find(state, "price", (session.line_items as Array<{ price: string }>)[0]!.price);
  const recurring = price.recurring as { interval: string; usage_type?: string };
  if (recurring.usage_type === "metered") {
    const per = (price.transform_quantity as { divide_by: number } | null)?.divide_by ?? 1;
    return `Subscribe: ${formatMinor(price.unit_amount as number, String(price.currency))} per ${per === 1 ? "unit" : `${per.toLocaleString("en")} units`} used, billed each ${recurring.interval}`;
  }
  const each = `${formatMinor(price.unit_amount as number, String(price.currency))} per ${String((price.recurring as { interval: string }).interval)}`;
  const trial = (session.subscription_data as { trial_period_days?: string } | null)?.trial_period_days;
  return trial ? `Start a ${trial}-day free trial, then ${each}` : `Subscribe: ${each}`;
}

/** A card entered on the page: a payment that succeeds (then `checkout.session.completed`) or is declined. */
export async function payCheckout(
  state: StandinState,
  response: ServerResponse,
  session: StripeObject,
  form: FormObject,
) {
  const card = text(form.card ?? "").replace(/\s+/g, "");
  if (session.status !== "open")
    return checkoutPage(state, response, session, {
      status: 409,
      message: "This checkout is no longer open.",
    });
  if (!Object.values(CARDS).includes(card as never))
    return checkoutPage(state, response, session, { status: 400, message: "Your card number is incorrect." });
  // A card that fails charges is declined unless nothing is charged now (a trial).
  const charged = (session.amount_total as number) > 0;
  if (card === CARDS.declined || (card === CARDS.failsCharges && charged))
    return checkoutPage(state, response, session, { status: 402, message: "Your card was declined." });
  if (session.customer) state.cards.set(text(session.customer), card);
  if (session.mode === "subscription") {
    try {
      const sub = await startSubscription(state, session);
      const paid = charged ? "paid" : "no_payment_required";
      Object.assign(session, { status: "complete", payment_status: paid, subscription: sub.id });
    } catch (error) {
      if (!(error instanceof StripeError)) throw error;
      return checkoutPage(state, response, session, { status: error.status, message: error.message });
    }
    return completed(state, response, session);
  }
  const data = (session.payment_intent_data ?? {}) as FormObject;
  const intent: StripeObject = {
    id: stripeId("pi"),
    object: "payment_intent",
    created: state.now(),
    livemode: false,
    amount: session.amount_total,
    amount_received: session.amount_total,
    currency: session.currency,
    customer: session.customer,
    status: "succeeded",
    application_fee_amount:
      typeof data.application_fee_amount === "string" ? Number(data.application_fee_amount) : null,
    transfer_data: data.transfer_data ?? null,
    metadata: session.metadata,
  };
  state.objects.get("payment_intent")!.set(intent.id, intent);
  settle(state, intent);
  Object.assign(session, { status: "complete", payment_status: "paid", payment_intent: intent.id });
  return completed(state, response, session);
}

async function completed(state: StandinState, response: ServerResponse, session: StripeObject) {
  await state.emit("checkout.session.completed", session);
  const target = String(session.success_url).replace("{CHECKOUT_SESSION_ID}", session.id);
  response.writeHead(303, { location: target });
  response.end();
}
