import { randomBytes } from "node:crypto";
import type { FormObject, FormValue } from "./form.ts";

/** What the stand-in keeps and answers: Stripe's object shape, its error, its ids. */
export type StripeObject = { id: string; object: string; [field: string]: unknown };
export class StripeError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: { code?: string; param?: string; type?: string } = {},
  ) {
    super(message);
  }
}

export type StandinState = {
  url: string;
  objects: Map<string, Map<string, StripeObject>>;
  emit(type: string, object: StripeObject): Promise<void>;
  /** The stand-in's clock, in Unix seconds: real time plus however far the test clock was advanced. */
  now(): number;
  /** The card each customer last paid with (what renewals charge). */
  cards: Map<string, string>;
};

/** Stripe's test cards: one that pays, one declined outright, one that attaches but fails every charge. */
export const CARDS = {
  pays: "4242424242424242",
  declined: "4000000000000002",
  failsCharges: "4000000000000341",
} as const;

/** An object of a kind, typed loosely, for handlers that read and write Stripe's fields. */
export const all = (state: StandinState, kind: string) => [...state.objects.get(kind)!.values()];

export const stripeId = (prefix: string) => `${prefix}_${randomBytes(12).toString("base64url")}`;

/** A required parameter, as Stripe names a missing one. */
export function required(params: FormObject, name: string): string {
  const value = params[name];
  if (typeof value !== "string" || value === "") {
    throw new StripeError(400, `Missing required param: ${name}.`, {
      code: "parameter_missing",
      param: name,
    });
  }
  return value;
}

/** A form value or a field of a stored object as the text Stripe would show: a nested object as JSON. */
export function text(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "";
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return `${value}`;
  return JSON.stringify(value);
}

/** A positive integer amount in minor units; Stripe refuses anything else. */
export function amount(value: FormValue | undefined, param: string): number {
  if (typeof value !== "string" || !/^\d{1,12}$/.test(value)) {
    throw new StripeError(400, `Invalid integer: ${text(value)}`, {
      code: "parameter_invalid_integer",
      param,
    });
  }
  return Number(value);
}

/** A stored object by id, or Stripe's 404 `resource_missing`. */
export function find(state: StandinState, kind: string, id: string | undefined): StripeObject {
  const object = id ? state.objects.get(kind)?.get(id) : undefined;
  if (!object)
    throw new StripeError(404, `No such ${kind.replace(/_/g, " ")}: '${id}'`, {
      code: "resource_missing",
      param: "id",
    });
  return object;
}
