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
  const webhooks = new Webhooks(new Stripe(apiKey), webhookSecret);
  let clockOffset = 0;
  const state: StandinState = {
    url: "",
    objects: new Map(KINDS.map((k) => [k, new Map<string, StripeObject>()])),
    now: () => Math.floor(Date.now() / 1000) + clockOffset,
    cards: new Map(),
    emit: (type, object) => webhooks.emit(type, object, state.now()),
  };
  const api: Api = { state, apiKey, idempotent: new Map() };
  const server: Server = createServer((request, response) => void serve(api, request, response));
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: state.url,
    apiKey,
    webhookSecret,
    setWebhookEndpoint: (url) => webhooks.setEndpoint(url),
    objects: (kind) => [...(state.objects.get(kind)?.values() ?? [])],
    events: () => [...webhooks.events],
    deliveries: () => [...webhooks.deliveries],
    resend: (eventId) => webhooks.resend(eventId),
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

/** Events as Stripe sends them: each kept, signed with the endpoint's secret by the SDK, delivered, recorded. */
class Webhooks {
  readonly events: StripeObject[] = [];
  readonly deliveries: Delivery[] = [];
  private endpoint: string | null = null;

  constructor(
    private readonly signer: Stripe,
    private readonly secret: string,
  ) {}

  async emit(type: string, object: StripeObject, created: number) {
    const event: StripeObject = {
      id: stripeId("evt"),
      object: "event",
      api_version: Stripe.API_VERSION,
      created,
      livemode: false,
      type,
      data: { object: structuredClone(object) },
      pending_webhooks: 1,
    };
    this.events.push(event);
    await this.deliver(event);
  }

  /** From now on events go to `url`; those never delivered go now. */
  async setEndpoint(url: string) {
    this.endpoint = url;
    for (const event of this.events)
      if (!this.deliveries.some((d) => d.event === event.id)) await this.deliver(event);
  }

  async resend(eventId: string): Promise<number> {
    const event = this.events.find((e) => e.id === eventId);
    if (!event) throw new Error(`no event ${eventId}`);
    return this.deliver(event);
  }

  private async deliver(event: StripeObject): Promise<number> {
    if (!this.endpoint) return 0;
    const payload = JSON.stringify(event);
    const header = this.signer.webhooks.generateTestHeaderString({ payload, secret: this.secret });
    const record: Delivery = { event: event.id, type: String(event.type), status: null };
    this.deliveries.push(record);
    try {
      const answer = await fetch(this.endpoint, {
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
  }
}

/** What the stand-in's HTTP side holds: its objects, its key, and the answers kept per idempotency key. */
type Api = {
  state: StandinState;
  apiKey: string;
  idempotent: Map<string, { status: number; body: unknown }>;
};

async function serve(api: Api, request: IncomingMessage, response: ServerResponse) {
  const url = new URL(request.url ?? "/", "http://standin");
  try {
    if (url.pathname.startsWith("/connect/") || url.pathname.startsWith("/pay/"))
      return await servePage(api.state, request, response, url);
    await serveApi(api, request, response, url);
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
}

/** The pages a person sees: Connect onboarding and the hosted checkout. */
async function servePage(state: StandinState, request: IncomingMessage, response: ServerResponse, url: URL) {
  if (url.pathname.startsWith("/connect/"))
    return onboardingPage(state, response, url.pathname.slice("/connect/".length), request.method === "POST");
  const id = url.pathname.slice("/pay/".length);
  if (request.method === "GET") return checkoutPage(state, response, find(state, "checkout.session", id));
  return payCheckout(
    state,
    response,
    find(state, "checkout.session", id),
    decodeForm(await readBody(request)),
  );
}

/** The REST API the SDK calls: the secret key, a route, and a POST's answer kept by its idempotency key. */
async function serveApi(api: Api, request: IncomingMessage, response: ServerResponse, url: URL) {
  if (request.headers.authorization !== `Bearer ${api.apiKey}`)
    throw new StripeError(401, "Invalid API Key provided.", { type: "invalid_request_error" });
  const route = ROUTES.find((r) => r.method === request.method && r.pattern.test(url.pathname));
  if (!route) throw new StripeError(404, `Unrecognized request URL (${request.method}: ${url.pathname}).`);
  const key = request.method === "POST" ? request.headers["idempotency-key"] : undefined;
  const replay = typeof key === "string" ? api.idempotent.get(key) : undefined;
  if (replay) return send(response, replay.status, replay.body);
  const params = decodeForm(request.method === "POST" ? await readBody(request) : url.search.slice(1));
  const body = await route.handler(api.state, params, route.pattern.exec(url.pathname)?.[1]);
  if (typeof key === "string") api.idempotent.set(key, { status: 200, body });
  send(response, 200, body);
}
