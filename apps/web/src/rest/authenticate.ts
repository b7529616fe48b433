import { type AppContext } from "@memstore/api";
import { authenticateApiKey } from "@memstore/api/identity";
import { AppError, purposeSchema, type Subject } from "@memstore/core";

/**
 * The caller of an API request, from its `Authorization: Bearer msk_…` key (401 without a valid one),
 * with the purpose the call states in `MemStore-Purpose`, if any. A key made for purposes states
 * only those (403 otherwise).
 */
export async function authenticateRequest(ctx: AppContext, request: Request): Promise<Subject> {
  const subject = await authenticateApiKey(
    ctx,
    request.headers.get("authorization")?.replace(/^Bearer\s+/i, "") ?? null,
  );
  const stated = request.headers.get("memstore-purpose");
  if (stated === null) return subject;
  const purpose = purposeSchema.safeParse(stated.trim());
  if (!purpose.success)
    throw new AppError(
      "invalid_input",
      "MemStore-Purpose is one purpose: printable text, at most 100 characters",
    );
  if (subject.kind === "api_key" && subject.purposes.length > 0 && !subject.purposes.includes(purpose.data)) {
    throw new AppError(
      "forbidden",
      `this key is for the purposes '${subject.purposes.join("', '")}', not '${purpose.data}'`,
    );
  }
  return { ...subject, purpose: purpose.data };
}
