import type { BodyOf, QueryOf } from "./contract.ts";
import { enc, qs } from "./http.ts";
import type { Page, Profile, PublisherPage, Review } from "./types.ts";

/** Money is integer minor units (cents) with a lower-case ISO 4217 currency, never a float: a listing's price as the route takes it. */
export type Pricing = BodyOf<"/api/v1/listings", "post">["pricing"];

export type Entitlement = {
  id: string;
  listing_id: string;
  source: "free" | "purchase" | "subscription" | "offer" | "grant";
  offer_id: string | null;
  state: "active" | "trialing" | "past_due" | "canceled" | "revoked" | "expired";
  valid_from: string;
  valid_until: string | null;
  current_period_end: string | null;
  cancel_at_period_end: boolean;
  revoked_at: string | null;
  revoked_reason: string | null;
};

export type Offer = {
  id: string;
  listing_id: string;
  organization?: { slug: string; name: string };
  /** The offer's own price (a `Pricing`, as the listing's). */
  pricing: { model: string } & Record<string, unknown>;
  terms: Record<string, unknown> | null;
  expires_at: string | null;
  created_at: string;
};

/** What acquiring answers: the entitlement (free, or already held), or a checkout to pay at. */
export type Acquired = { entitlement: Entitlement } | { checkout_url: string; checkout_session_id: string };

export type SalesDay = {
  listing_id: string;
  day: string;
  currency: string | null;
  revenue_cents: number;
  fees_cents: number;
  refunded_cents: number;
  new: number;
  active: number;
  canceled: number;
  agent_calls: number;
  bytes_served: number;
  /** Questions other organisations asked it before buying, those it answered, and how many organisations asked. */
  previews: { questions: number; answered: number; organizations: number };
};

/** What a listing answered before buying: per question, whether the pack holds an answer, where, and a snippet. */
export type TryAnswers = {
  version: string;
  answers: Array<{ question: string; answered: boolean; section?: string; snippet?: string }>;
  questions_left_today: number;
};

export type Holder = {
  id: string;
  organization: { slug: string; name: string };
  source: Entitlement["source"];
  state: Entitlement["state"];
  created_at: string;
  current_period_end: string | null;
  revoked_at: string | null;
  revoked_reason: string | null;
  calls_30d: number;
};

export type UsageDay = {
  day: string;
  install_id: string;
  vault_id: string;
  listing_id: string;
  cube: string;
  /** The listing's pricing model: `free`, `one_time`, `subscription` or `usage`. */
  pricing_model: string;
  calls: number;
  bytes: number;
  /** Usage-priced listings only: what the day's calls added to the month's charge. */
  spend_cents: number | null;
  currency: string | null;
};

export type UsageReport = {
  from: string;
  to: string;
  items: UsageDay[];
  spend: Array<{ currency: string; spend_cents: number }>;
};

export type PayoutAccount = {
  id: string;
  charges_enabled: boolean;
  payouts_enabled: boolean;
  details_submitted: boolean;
};

export type Payouts = {
  account: PayoutAccount | null;
  platform_fee_bps: number;
  balances: Array<{
    currency: string;
    revenue_cents: number;
    fees_cents: number;
    refunded_cents: number;
    transferred_cents: number;
    held_cents: number;
  }>;
  transfers: Array<{
    sale_id: string;
    listing_id: string;
    created_at: string;
    currency: string;
    amount_cents: number;
    fee_cents: number;
    share_cents: number;
    destination: string | null;
    status: "transferred" | "held" | "reversed";
  }>;
};

type Request = <T>(method: string, path: string, body?: unknown) => Promise<T>;

/** Buying and selling: `client.commerce`. */
/** A buyer's request for a listing sold on request, and the publisher's answer. */
export type AccessRequest = {
  id: string;
  listing: { id: string; title: string };
  /** The organisation asking. */
  organization: { slug: string; name: string };
  message: string;
  purpose: string | null;
  state: "pending" | "approved" | "denied";
  reason: string | null;
  /** The private offer an approval came with: acquire with `offer_id` to buy under it. */
  offer_id: string | null;
  decided_at: string | null;
  created_at: string;
};

export class CommerceApi {
  constructor(private readonly request: Request) {}

  /** Free: the entitlement. Paid: `checkout_url` to send the buyer to; the entitlement follows payment. */
  /** Try before you buy: up to 20 questions a day per listing, answered with fingerprinted snippets. */
  tryListing(listingId: string, input: BodyOf<"/api/v1/store/listings/{listing_id}/try", "post">) {
    return this.request<TryAnswers>("POST", `/api/v1/store/listings/${enc(listingId)}/try`, input);
  }
  /** A listing's reviews, the newest edit first. */
  reviews(listingId: string, query: QueryOf<"/api/v1/store/listings/{listing_id}/reviews", "get"> = {}) {
    return this.request<Page<Review>>("GET", `/api/v1/store/listings/${enc(listingId)}/reviews${qs(query)}`);
  }
  /**
   * The organisation's review of a listing: written once, edited by writing again. Refused
   * (`review_not_eligible`) before it held the listing 7 days or made 100 agent calls to it.
   */
  writeReview(listingId: string, input: BodyOf<"/api/v1/store/listings/{listing_id}/reviews", "post">) {
    return this.request<Review>("POST", `/api/v1/store/listings/${enc(listingId)}/reviews`, input);
  }
  /** Publisher: the one reply to a review of its listing. */
  replyToReview(reviewId: string, input: BodyOf<"/api/v1/reviews/{review_id}/reply", "post">) {
    return this.request<Review>("POST", `/api/v1/reviews/${enc(reviewId)}/reply`, input);
  }
  /** Reports a review that breaks the rules. */
  reportReview(reviewId: string, input: BodyOf<"/api/v1/reviews/{review_id}/report", "post">) {
    return this.request<{ review_id: string; reason: string; created_at: string }>(
      "POST",
      `/api/v1/reviews/${enc(reviewId)}/report`,
      input,
    );
  }
  /** A publisher's public page (no key needed). */
  publisher(slug: string) {
    return this.request<PublisherPage>("GET", `/api/v1/store/publishers/${enc(slug)}`);
  }
  /** What the organisation's publisher page says of it (scope `admin`). */
  updateProfile(input: BodyOf<"/api/v1/org/profile", "patch">) {
    return this.request<Profile>("PATCH", "/api/v1/org/profile", input);
  }
  acquire(listingId: string, input: BodyOf<"/api/v1/store/listings/{listing_id}/acquire", "post"> = {}) {
    return this.request<Acquired>("POST", `/api/v1/store/listings/${enc(listingId)}/acquire`, input);
  }
  entitlements(query: QueryOf<"/api/v1/entitlements", "get"> = {}) {
    return this.request<Page<Entitlement>>("GET", `/api/v1/entitlements${qs(query)}`);
  }
  /** Publisher: a private offer on a listing to one organisation, at its own price and terms. */
  offer(listingId: string, input: BodyOf<"/api/v1/listings/{listing_id}/offers", "post">) {
    return this.request<Offer>("POST", `/api/v1/listings/${enc(listingId)}/offers`, input);
  }

  /** Buyer: ask for a listing that is `access: "request"`; acquire it once approved. */
  requestAccess(
    listingId: string,
    input: BodyOf<"/api/v1/store/listings/{listing_id}/access-requests", "post">,
  ) {
    return this.request<AccessRequest>(
      "POST",
      `/api/v1/store/listings/${enc(listingId)}/access-requests`,
      input,
    );
  }
  /** Buyer: the organisation's own access requests, newest first. */
  accessRequests(query: QueryOf<"/api/v1/access-requests", "get"> = {}) {
    return this.request<Page<AccessRequest>>("GET", `/api/v1/access-requests${qs(query)}`);
  }
  /** Publisher: the requests to one of its listings, newest first. */
  incomingAccessRequests(
    listingId: string,
    query: QueryOf<"/api/v1/listings/{listing_id}/access-requests", "get"> = {},
  ) {
    return this.request<Page<AccessRequest>>(
      "GET",
      `/api/v1/listings/${enc(listingId)}/access-requests${qs(query)}`,
    );
  }
  /** Publisher: approve a pending request, optionally with a private offer at its own price and terms. */
  approveAccessRequest(
    requestId: string,
    input: BodyOf<"/api/v1/access-requests/{request_id}/approve", "post"> = {},
  ) {
    return this.request<AccessRequest>("POST", `/api/v1/access-requests/${enc(requestId)}/approve`, input);
  }
  /** Publisher: deny a pending request, saying why. */
  denyAccessRequest(
    requestId: string,
    input: BodyOf<"/api/v1/access-requests/{request_id}/deny", "post"> = {},
  ) {
    return this.request<AccessRequest>("POST", `/api/v1/access-requests/${enc(requestId)}/deny`, input);
  }

  /** Cancels a subscription at the end of its paid period. */
  cancel(entitlementId: string) {
    return this.request<Entitlement>("POST", `/api/v1/entitlements/${enc(entitlementId)}/cancel`);
  }

  /** Publisher: end a holder's entitlement, saying why; `refund` refunds its sale. */
  revoke(entitlementId: string, input: BodyOf<"/api/v1/entitlements/{entitlement_id}/revoke", "post">) {
    return this.request<Entitlement>("POST", `/api/v1/entitlements/${enc(entitlementId)}/revoke`, input);
  }
  /** Publisher: per listing and UTC day (YYYY-MM-DD bounds, at most 366 days). */
  sales(query: QueryOf<"/api/v1/sales", "get"> = {}) {
    return this.request<{ from: string; to: string; items: SalesDay[] }>("GET", `/api/v1/sales${qs(query)}`);
  }
  /** Subscriber: calls, bytes and usage-priced spend per install and UTC day. */
  usage(query: QueryOf<"/api/v1/usage", "get"> = {}) {
    return this.request<UsageReport>("GET", `/api/v1/usage${qs(query)}`);
  }
  /** Publisher admin: open (or finish) the payout account; send the person to `onboarding_url`. */
  payoutAccount() {
    return this.request<{ onboarding_url: string; account: PayoutAccount }>(
      "POST",
      "/api/v1/payouts/account",
    );
  }
  /** Publisher: balances, the platform fee, and each sale's share transferred, held or reversed. */
  payouts() {
    return this.request<Payouts>("GET", "/api/v1/payouts");
  }
  holders(listingId: string, query: QueryOf<"/api/v1/listings/{listing_id}/entitlements", "get"> = {}) {
    return this.request<Page<Holder>>("GET", `/api/v1/listings/${enc(listingId)}/entitlements${qs(query)}`);
  }
}
