export { decodeForm } from "./form.ts";
export type { StripeObject } from "./objects.ts";
export { type Delivery, type Standin, startStripeStandin } from "./standin.ts";
