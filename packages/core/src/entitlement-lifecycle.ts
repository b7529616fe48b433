import { type EntitlementState, USABLE_ENTITLEMENT_STATES } from "./commerce.ts";

/**
 * How an entitlement lives, declared once as data: each cause that may move one (and who or what
 * brings it), and the moves it may make. `null` is "no entitlement yet": moves from it are grants.
 * Every insert and every change of an entitlement passes through the one writer in
 * `@memstore/api/entitlements`, which refuses (409 `conflict`) a move this table does not list.
 */
export const ENTITLEMENT_CAUSES = {
  free_acquire: "the buyer acquires a free listing",
  offer: "the buyer accepts a private offer that costs nothing",
  grant: "the publisher installs its own listing",
  paid_checkout: "Stripe: the buyer's one-time Checkout Session is paid",
  subscription_start: "Stripe: a subscription's first payment, or its trial, begins",
  renewal: "Stripe: a subscription renews, or its trial turns paid",
  failed_payment: "Stripe: a renewal payment fails and the grace period begins",
  payment_recovered: "Stripe: a failed renewal is paid after all",
  grace_ended: "Stripe: the grace period runs out unpaid",
  cancel_at_period_end:
    "the subscriber (or a retired listing) stops the renewal; it runs to its period's end",
  cancel: "Stripe: the subscription ends",
  subscription_expired: "Stripe: a subscription whose first payment never completed expires",
  revoke: "the publisher ends it",
  refund: "the publisher ends it and refunds its payment",
  expiry: "its license's valid_days run out",
} as const;
export type EntitlementCause = keyof typeof ENTITLEMENT_CAUSES;

const USABLE = USABLE_ENTITLEMENT_STATES;
const ENDED_BY_STRIPE: readonly EntitlementState[] = [...USABLE, "canceled"];
const NOT_REVOKED: readonly EntitlementState[] = [...ENDED_BY_STRIPE, "expired"];

/** Each cause's moves: the states it leaves (null: none yet) → the state it reaches ("same": unchanged). */
const MOVES: Record<
  EntitlementCause,
  Array<{ from: ReadonlyArray<EntitlementState | null>; to: EntitlementState | "same" }>
> = {
  free_acquire: [{ from: [null], to: "active" }],
  offer: [{ from: [null], to: "active" }],
  grant: [{ from: [null], to: "active" }],
  paid_checkout: [{ from: [null], to: "active" }],
  subscription_start: [
    { from: [null], to: "active" },
    { from: [null], to: "trialing" },
    { from: [null], to: "past_due" },
  ],
  renewal: [
    { from: ["active", "trialing"], to: "active" },
    { from: ["trialing"], to: "trialing" },
  ],
  failed_payment: [{ from: USABLE, to: "past_due" }],
  payment_recovered: [
    { from: ["past_due", "canceled"], to: "active" },
    { from: ["past_due"], to: "trialing" },
  ],
  grace_ended: [{ from: ["past_due"], to: "canceled" }],
  cancel_at_period_end: [{ from: USABLE, to: "same" }],
  cancel: [{ from: ENDED_BY_STRIPE, to: "canceled" }],
  subscription_expired: [{ from: USABLE, to: "expired" }],
  revoke: [{ from: NOT_REVOKED, to: "revoked" }],
  refund: [{ from: NOT_REVOKED, to: "revoked" }],
  expiry: [{ from: ENDED_BY_STRIPE, to: "expired" }],
};

export type EntitlementMove = {
  cause: EntitlementCause;
  from: EntitlementState | null;
  to: EntitlementState;
};

/** Every allowed move, one row each: what the writer checks and what the lifecycle test walks. */
export const ENTITLEMENT_MOVES: readonly EntitlementMove[] = Object.entries(MOVES).flatMap(([cause, moves]) =>
  moves.flatMap(({ from, to }) =>
    from.map((f) => ({
      cause: cause as EntitlementCause,
      from: f,
      to: to === "same" ? (f as EntitlementState) : to,
    })),
  ),
);

/** Whether the table lets `cause` move an entitlement from `from` (null: none yet) to `to`. */
export function entitlementMoveAllowed(
  cause: EntitlementCause,
  from: EntitlementState | null,
  to: EntitlementState,
): boolean {
  return ENTITLEMENT_MOVES.some((m) => m.cause === cause && m.from === from && m.to === to);
}

/**
 * Which cause a subscription's change at Stripe is, from the state its entitlement is in to the
 * one the subscription's status now means; `paymentFailed` when Stripe ended it for an unpaid
 * renewal. The writer still checks the move: a pair no cause allows (a revoked entitlement, an
 * expired one coming back) is refused.
 */
export function subscriptionCause(
  from: EntitlementState,
  to: EntitlementState,
  paymentFailed: boolean,
): EntitlementCause {
  if (to === "past_due") return "failed_payment";
  if (to === "canceled") return from === "past_due" && paymentFailed ? "grace_ended" : "cancel";
  if (to === "expired") return "subscription_expired";
  if (from === "past_due" || from === "canceled") return "payment_recovered";
  return "renewal";
}
