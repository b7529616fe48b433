import type { ServerResponse } from "node:http";
import { formatMinor } from "@memstore/core";
import type { FormObject } from "./form.ts";
import { type StandinState, type StripeObject, stripeId } from "./objects.ts";

/**
 * The hosted checkout page a Checkout Session's `url` opens: what is bought, a card number field,
 * and Stripe's test cards — 4242 4242 4242 4242 pays, 4000 0000 0000 0002 is declined.
 */
const PAYS = "4242424242424242";
const DECLINED = "4000000000000002";

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function checkoutPage(
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
<h1>Pay ${escape(formatMinor(session.amount_total as number, String(session.currency)))}</h1>
<p>${escape(String((session.metadata as Record<string, string>).title ?? "MemStore listing"))}${session.mode === "subscription" ? " (subscription)" : ""}</p>
${problem ? `<p class="error" role="alert">${escape(problem.message)}</p>` : ""}
${
  paid
    ? "<p>This checkout is already paid.</p>"
    : `<form method="post">
<label for="card">Card number</label><input id="card" name="card" inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242">
<button type="submit">Pay</button></form>
<p><small>Test cards: 4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined.</small></p>`
}
${session.cancel_url ? `<p><a href="${escape(String(session.cancel_url))}">Cancel</a></p>` : ""}
</body></html>`;
  response.writeHead(problem?.status ?? 200, { "content-type": "text/html; charset=utf-8" });
  response.end(body);
}

/** A card entered on the page: a payment that succeeds (then `checkout.session.completed`) or is declined. */
export async function payCheckout(
  state: StandinState,
  response: ServerResponse,
  session: StripeObject,
  form: FormObject,
) {
  const card = String(form.card ?? "").replace(/\s+/g, "");
  if (session.status !== "open")
    return checkoutPage(response, session, { status: 409, message: "This checkout is no longer open." });
  if (card === DECLINED)
    return checkoutPage(response, session, { status: 402, message: "Your card was declined." });
  if (card !== PAYS)
    return checkoutPage(response, session, { status: 400, message: "Your card number is incorrect." });
  const data = (session.payment_intent_data ?? {}) as FormObject;
  const intent: StripeObject = {
    id: stripeId("pi"),
    object: "payment_intent",
    created: Math.floor(Date.now() / 1000),
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
  Object.assign(session, { status: "complete", payment_status: "paid", payment_intent: intent.id });
  await state.emit("checkout.session.completed", session);
  const target = String(session.success_url).replace("{CHECKOUT_SESSION_ID}", session.id);
  response.writeHead(303, { location: target });
  response.end();
}
