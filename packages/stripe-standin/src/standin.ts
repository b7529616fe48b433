import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Stripe from "stripe";
import { checkoutPage, payCheckout } from "./checkout-page.ts";
import { onboardingPage } from "./connect.ts";
import { decodeForm } from "./form.ts";
import { find, type StandinState, StripeError, type StripeObject, stripeId } from "./objects.ts";
import { KINDS, ROUTES } from "./routes.ts";
import { advanceTo } from "./subscriptions.ts";

/**
 * A local stand-in for the subset of Stripe's REST API that MemStore calls — customers, products,
 * prices, Checkout Sessions — with Stripe's object and error shapes, form-encoded requests and
 * idempotency keys, so the real SDK can be pointed at it (`host`, `port`, `protocol`). It serves a
 * hosted checkout page where a buyer enters a test card, and sends the events that follow to a
 * webhook endpoint, signed with the SDK's own test-header helper. For tests and `npm start` only.
 */
export type Delivery = { event: string; type: string; status: number | null };

export type Standin = {
  /** Where the SDK is pointed: `http://127.0.0.1:<port>`. */
  url: string;
  /** The secret key the SDK must send. */
  apiKey: string;
  /** Signs the webhooks it sends (`whsec_…`); MemStore verifies with it. */
  webhookSecret: string;
  /** Where events are sent; until set, they are kept and sent once it is. */
  setWebhookEndpoint(url: string): Promise<void>;
  objects(kind: string): StripeObject[];
  events(): StripeObject[];
  deliveries(): Delivery[];
  /**
   * Advances the test clock by `seconds`, doing what falls due on the way in order: trial ends,
   * renewals charged to each customer's card, failed charges retried, cancellations at period end.
   */
  advanceClock(seconds: number): Promise<void>;
  /** The test clock's time, in Unix seconds. */
  now(): number;
  /** The card a customer's renewals are charged to from now on (Stripe's test card numbers). */
  setCard(customerId: string, card: string): void;
  /** Sends an event again, as Stripe does when an endpoint did not answer 2xx (or a replay). */
  resend(eventId: string): Promise<number>;
  close(): Promise<void>;
};

async function readBody(request: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of request) {
    size += (part as Buffer).length;
    if (size > 1 << 20) throw new StripeError(413, "Request too large");
    parts.push(part as Buffer);
  }
  return Buffer.concat(parts).toString("utf8");
}

function send(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { "content-type": "application/json", "request-id": stripeId("req") });
  response.end(JSON.stringify(body));
}

export async function startStripeStandin(options: { port?: number } = {}): Promise<Standin> {
  const apiKey = `sk_test_standin_${randomBytes(12).toString("hex")}`;
  const webhookSecret = `whsec_${randomBytes(24).toString("base64url")}`;
  const signer = new Stripe(apiKey);
  const events: StripeObject[] = [];
  const deliveries: Delivery[] = [];
  const idempotent = new Map<string, { status: number; body: unknown }>();
  let clockOffset = 0;
  let endpoint: string | null = null;

  const deliver = async (event: StripeObject): Promise<number> => {
    if (!endpoint) return 0;
    const payload = JSON.stringify(event);
    const header = signer.webhooks.generateTestHeaderString({ payload, secret: webhookSecret });
    const record: Delivery = { event: event.id, type: String(event.type), status: null };
    deliveries.push(record);
    try {
      const answer = await fetch(endpoint, {
        method: "POST",
        headers: { "content-type": "application/json", "stripe-signature": header },
        body: payload,
      });
      await answer.arrayBuffer();
      record.status = answer.status;
    } catch {
      record.status = 0;
    }
    return record.status;
  };

  const state: StandinState = {
    url: "",
    objects: new Map(KINDS.map((k) => [k, new Map()])),
    now: () => Math.floor(Date.now() / 1000) + clockOffset,
    cards: new Map(),
    async emit(type, object) {
      const event: StripeObject = {
        id: stripeId("evt"),
        object: "event",
        api_version: Stripe.API_VERSION,
        created: state.now(),
        livemode: false,
        type,
        data: { object: structuredClone(object) },
        pending_webhooks: 1,
      };
      events.push(event);
      await deliver(event);
    },
  };

  const server: Server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? "/", "http://standin");
      try {
        if (url.pathname.startsWith("/connect/"))
          return await onboardingPage(
            state,
            response,
            url.pathname.slice("/connect/".length),
            request.method === "POST",
          );
        if (url.pathname.startsWith("/pay/")) {
          const id = url.pathname.slice("/pay/".length);
          if (request.method === "GET")
            return checkoutPage(state, response, find(state, "checkout.session", id));
          return await payCheckout(
            state,
            response,
            find(state, "checkout.session", id),
            decodeForm(await readBody(request)),
          );
        }
        if (request.headers.authorization !== `Bearer ${apiKey}`)
          throw new StripeError(401, "Invalid API Key provided.", { type: "invalid_request_error" });
        const route = ROUTES.find((r) => r.method === request.method && r.pattern.test(url.pathname));
        if (!route)
          throw new StripeError(404, `Unrecognized request URL (${request.method}: ${url.pathname}).`);
        const key = request.method === "POST" ? request.headers["idempotency-key"] : undefined;
        const replay = typeof key === "string" ? idempotent.get(key) : undefined;
        if (replay) return send(response, replay.status, replay.body);
        const params = decodeForm(request.method === "POST" ? await readBody(request) : url.search.slice(1));
        const body = await route.handler(state, params, route.pattern.exec(url.pathname)?.[1]);
        if (typeof key === "string") idempotent.set(key, { status: 200, body });
        send(response, 200, body);
      } catch (error) {
        const e =
          error instanceof StripeError
            ? error
            : new StripeError(500, (error as Error).message, { type: "api_error" });
        send(response, e.status, {
          error: {
            type: e.extra.type ?? "invalid_request_error",
            message: e.message,
            code: e.extra.code,
            param: e.extra.param,
          },
        });
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: state.url,
    apiKey,
    webhookSecret,
    async setWebhookEndpoint(url) {
      endpoint = url;
      for (const event of events) if (!deliveries.some((d) => d.event === event.id)) await deliver(event);
    },
    objects: (kind) => [...(state.objects.get(kind)?.values() ?? [])],
    events: () => [...events],
    deliveries: () => [...deliveries],
    async resend(eventId) {
      const event = events.find((e) => e.id === eventId);
      if (!event) throw new Error(`no event ${eventId}`);
      return deliver(event);
    },
    async advanceClock(seconds) {
      const until = state.now() + seconds;
      await advanceTo(state, until, (t) => {
        clockOffset = t - Math.floor(Date.now() / 1000);
      });
    },
    now: () => state.now(),
    setCard(customerId, card) {
      find(state, "customer", customerId);
      state.cards.set(customerId, card.replace(/\s+/g, ""));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
