import { reverseTransfer } from "./connect.ts";
import type { FormObject } from "./form.ts";
import {
  amount,
  find,
  required,
  type StandinState,
  StripeError,
  type StripeObject,
  stripeId,
} from "./objects.ts";

/** A refund of a payment intent, whole or in part, never more than was received and not yet refunded. */
export function refund(state: StandinState, p: FormObject): StripeObject {
  const intent = find(state, "payment_intent", required(p, "payment_intent"));
  const refunded = [...state.objects.get("refund")!.values()]
    .filter((r) => r.payment_intent === intent.id)
    .reduce((sum, r) => sum + (r.amount as number), 0);
  const left = (intent.amount_received as number) - refunded;
  const wanted = p.amount === undefined ? left : amount(p.amount, "amount");
  if (left <= 0)
    throw new StripeError(400, `Charge for ${intent.id} has already been refunded.`, {
      code: "charge_already_refunded",
    });
  if (wanted > left)
    throw new StripeError(400, `Refund amount (${wanted}) is greater than unrefunded amount (${left}).`, {
      code: "amount_too_large",
      param: "amount",
    });
  const made: StripeObject = {
    id: stripeId("re"),
    object: "refund",
    created: state.now(),
    amount: wanted,
    currency: intent.currency,
    payment_intent: intent.id,
    status: "succeeded",
    reverse_transfer: p.reverse_transfer === "true",
    refund_application_fee: p.refund_application_fee === "true",
    metadata: typeof p.metadata === "object" ? p.metadata : {},
  };
  state.objects.get("refund")!.set(made.id, made);
  if (made.reverse_transfer) reverseTransfer(state, intent, wanted);
  return made;
}
