import { AppError, describeError, isOutage, jsonValueProblem, type Subject } from "@memstore/core";
import { initTRPC, TRPCError } from "@trpc/server";
import { ZodError, z } from "zod";
import type { AppContext } from "@memstore/api";
import { userSubject } from "@memstore/api/identity";

/**
 * What a portal call knows: the running system, the signed-in user (from the session cookie,
 * verified by the web server) and the organisation the page acts in (the org switcher's choice).
 */
export type TrpcContext = { app: AppContext; userId: string | null; orgId: string | null };

const t = initTRPC.context<TrpcContext>().create({
  // Never send stacks to the browser, whatever NODE_ENV says.
  isDev: false,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      message: error.code === "INTERNAL_SERVER_ERROR" ? "Something went wrong on our side." : shape.message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        // The product's error code (`slug_taken`, `entitlement_required`…) and per-field messages.
        appCode:
          cause instanceof AppError ? cause.code : error.code === "BAD_REQUEST" ? "invalid_input" : null,
        fields: cause instanceof ZodError ? z.flattenError(cause).fieldErrors : null,
      },
    };
  },
});

const TRPC_CODE_BY_STATUS: Record<number, TRPCError["code"]> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  402: "PAYMENT_REQUIRED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_SUPPORTED",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  422: "UNPROCESSABLE_CONTENT",
  // A frozen vault (423 Locked over REST): tRPC has no "locked"; the appCode says vault_frozen.
  423: "PRECONDITION_FAILED",
  429: "TOO_MANY_REQUESTS",
  503: "SERVICE_UNAVAILABLE",
};

/** Service errors keep their meaning: an AppError's status picks the tRPC code, a ZodError is a 400. */
const mapErrors = t.middleware(async ({ ctx, next, path }) => {
  const result = await next();
  if (result.ok) return result;
  const cause = result.error.cause;
  if (cause instanceof AppError) {
    throw new TRPCError({
      code: TRPC_CODE_BY_STATUS[cause.status] ?? "INTERNAL_SERVER_ERROR",
      message: cause.message,
      cause,
    });
  }
  if (cause instanceof ZodError)
    throw new TRPCError({ code: "BAD_REQUEST", message: "check the fields", cause });
  if (isOutage(cause)) {
    ctx.app.log(`trpc ${path}: dependency down: ${describeError(cause)}`);
    const outage = new AppError(
      "dependency_down",
      "a service MemStore depends on is unavailable; try again shortly",
    );
    throw new TRPCError({ code: "SERVICE_UNAVAILABLE", message: outage.message, cause: outage });
  }
  if (result.error.code === "INTERNAL_SERVER_ERROR")
    ctx.app.log(`trpc ${path} failed: ${describeError(cause ?? result.error, { stack: true })}`);
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
/** The same door as the REST API's: no input with what cannot be stored (a NUL, a lone surrogate, deep nesting). */
const storableInput = t.middleware(async ({ getRawInput, next }) => {
  const problem = jsonValueProblem(await getRawInput());
  if (problem) {
    throw new AppError("invalid_input", `${problem.path || "the input"} ${problem.message}`, {
      errors: [problem],
    });
  }
  return next();
});

export const publicProcedure = t.procedure.use(mapErrors).use(storableInput);

/** A signed-in user. */
export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.userId) throw new TRPCError({ code: "UNAUTHORIZED", message: "sign in first" });
  return next({ ctx: { ...ctx, userId: ctx.userId } });
});

/**
 * Whoever browses the store, signed in or not. A visitor is no organisation's member: a read-only
 * subject of no organisation, so it sees what the store shows everyone (published public and
 * unlisted listings) and holds, owns and is offered nothing.
 */
const VISITOR: Subject = { kind: "user", userId: "", orgId: "", role: "auditor" };
export const storeProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const subject = ctx.userId ? await userSubject(ctx.app, ctx.userId, ctx.orgId) : VISITOR;
  return next({ ctx: { ...ctx, subject } });
});

/** A signed-in user acting in one of their organisations, as the policy subject services expect. */
export const orgProcedure = authedProcedure.use(async ({ ctx, next }) => {
  const subject: Subject = await userSubject(ctx.app, ctx.userId, ctx.orgId);
  return next({ ctx: { ...ctx, subject } });
});
