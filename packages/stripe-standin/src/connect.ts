import type { ServerResponse } from "node:http";
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
 * Stripe Connect as a marketplace uses it: Express accounts for sellers, account links that open a
 * hosted onboarding page (here: one button, test mode), `account.updated` when onboarding is done,
 * and destination charges — a payment whose `transfer_data.destination` moves the amount less the
 * `application_fee_amount` to the seller's account as a transfer, which a refund with
 * `reverse_transfer` takes back.
 */
export function createAccount(state: StandinState, p: FormObject): StripeObject {
  if (p.type !== "express")
    throw new StripeError(400, "The stand-in makes Express accounts only.", { param: "type" });
  const account: StripeObject = {
    id: stripeId("acct"),
    object: "account",
    created: state.now(),
    type: "express",
    country: typeof p.country === "string" ? p.country : "US",
    email: typeof p.email === "string" ? p.email : null,
    charges_enabled: false,
    payouts_enabled: false,
    details_submitted: false,
    metadata: typeof p.metadata === "object" ? p.metadata : {},
  };
  state.objects.get("account")!.set(account.id, account);
  return account;
}

export function createAccountLink(state: StandinState, p: FormObject): StripeObject {
  const account = find(state, "account", required(p, "account"));
  if (p.type !== "account_onboarding" && p.type !== "account_update")
    throw new StripeError(400, "type is account_onboarding or account_update.", { param: "type" });
  const id = stripeId("acctlink");
  const link: StripeObject = {
    id,
    object: "account_link",
    created: state.now(),
    expires_at: state.now() + 300,
    account: account.id,
    refresh_url: required(p, "refresh_url"),
    return_url: required(p, "return_url"),
    url: `${state.url}/connect/${id}`,
  };
  state.objects.get("account_link")!.set(id, link);
  return link;
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The hosted onboarding page an account link opens; submitting it completes onboarding. */
export async function onboardingPage(
  state: StandinState,
  response: ServerResponse,
  linkId: string,
  submit: boolean,
) {
  const link = find(state, "account_link", linkId);
  if ((link.expires_at as number) < state.now()) {
    response.writeHead(303, { location: String(link.refresh_url) });
    return response.end();
  }
  if (submit) {
    const account = find(state, "account", String(link.account));
    Object.assign(account, { charges_enabled: true, payouts_enabled: true, details_submitted: true });
    await state.emit("account.updated", account);
    response.writeHead(303, { location: String(link.return_url) });
    return response.end();
  }
  response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
  response.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Payout account (test mode)</title></head>
<body style="font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto">
<p style="background:#fff3cd;padding:.5rem">Test mode: MemStore's local Stripe stand-in. No real account is opened.</p>
<h1>Set up payouts</h1><p>Account ${escape(String(link.account))}</p>
<form method="post"><button type="submit">Complete onboarding</button></form></body></html>`);
}

/** A destination checked before a charge names it: an account that may take charges. */
export function destinationOf(state: StandinState, transferData: unknown): string | null {
  const destination = (transferData as FormObject | null)?.destination;
  if (destination === undefined) return null;
  const account = find(state, "account", typeof destination === "string" ? destination : undefined);
  if (!account.charges_enabled)
    throw new StripeError(
      400,
      `The destination account ${account.id} cannot take charges yet: onboarding is not complete.`,
      {
        param: "transfer_data[destination]",
      },
    );
  return account.id;
}

/** A succeeded payment intent's charge, and its transfer to the destination, if it names one. */
export function settle(state: StandinState, intent: StripeObject) {
  const destination = (intent.transfer_data as FormObject | null)?.destination;
  const fee = (intent.application_fee_amount as number | null) ?? 0;
  const charge: StripeObject = {
    id: stripeId("ch"),
    object: "charge",
    created: state.now(),
    amount: intent.amount,
    currency: intent.currency,
    payment_intent: intent.id,
    application_fee_amount: intent.application_fee_amount ?? null,
    transfer: null,
  };
  if (typeof destination === "string") {
    const transfer: StripeObject = {
      id: stripeId("tr"),
      object: "transfer",
      created: state.now(),
      amount: (intent.amount as number) - fee,
      amount_reversed: 0,
      currency: intent.currency,
      destination,
      source_transaction: charge.id,
      reversed: false,
    };
    state.objects.get("transfer")!.set(transfer.id, transfer);
    charge.transfer = transfer.id;
  }
  state.objects.get("charge")!.set(charge.id, charge);
  intent.latest_charge = charge.id;
}

/** A refund's `reverse_transfer`: the destination gives back its share, in proportion, rounded down. */
export function reverseTransfer(state: StandinState, intent: StripeObject, refunded: number) {
  const charge = all(state, "charge").find((c) => c.payment_intent === intent.id);
  if (!charge?.transfer) return;
  const transfer = find(state, "transfer", text(charge.transfer));
  const share = transfer.amount as number;
  const product = share * refunded;
  const back = (product - (product % (intent.amount as number))) / (intent.amount as number);
  transfer.amount_reversed = Math.min(share, (transfer.amount_reversed as number) + back);
  transfer.reversed = transfer.amount_reversed === share;
}
