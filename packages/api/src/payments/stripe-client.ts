import { AppError } from "@memstore/core";
import Stripe from "stripe";
import type { AppContext } from "../kernel/context.ts";
import type { Config } from "../kernel/env.ts";

const clients = new WeakMap<Config, Stripe>();

/**
 * The Stripe SDK for this configuration, or null when no secret key is set. STRIPE_API_URL points
 * it elsewhere than Stripe (the local stand-in) through the SDK's own host, port and protocol.
 */
export function stripeOf(config: Config): Stripe | null {
  if (!config.STRIPE_SECRET_KEY) return null;
  let client = clients.get(config);
  if (!client) {
    const api = config.STRIPE_API_URL ? new URL(config.STRIPE_API_URL) : null;
    const protocol = api?.protocol === "http:" ? "http" : "https";
    client = new Stripe(config.STRIPE_SECRET_KEY, {
      ...(api && {
        host: api.hostname,
        port: Number(api.port || (protocol === "http" ? 80 : 443)),
        protocol,
      }),
      telemetry: false,
      maxNetworkRetries: 2,
      timeout: 20_000,
    });
    clients.set(config, client);
  }
  return client;
}

/** Stripe, or 503 payments_unconfigured: this server takes no payments. */
export function requireStripe(ctx: AppContext): Stripe {
  const stripe = stripeOf(ctx.config);
  if (!stripe) {
    throw new AppError(
      "payments_unconfigured",
      "this MemStore takes no payments (STRIPE_SECRET_KEY is not set); only free listings can be acquired",
    );
  }
  return stripe;
}
