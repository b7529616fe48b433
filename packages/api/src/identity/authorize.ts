import {
  type Action,
  AppError,
  decide,
  type PolicyContext,
  type PolicyObject,
  type Subject,
} from "@memstore/core";

/** Asks the policy and throws its refusal as an AppError (404, 403 or 402 by the decision's code). */
export function authorize(
  subject: Subject,
  action: Action,
  object?: PolicyObject,
  context?: PolicyContext,
): void {
  const decision = decide(subject, action, object, context);
  if (!decision.allow) {
    const detail = decision.code === "not_found" ? "not found" : decision.reason;
    throw new AppError(decision.code, detail);
  }
}

export function actorOf(subject: Subject): string {
  if (subject.kind === "user") return `user:${subject.userId}`;
  return subject.kind === "api_key" ? `key:${subject.keyId}` : `subscription:${subject.subscriptionId}`;
}
