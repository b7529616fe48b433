import { auditRouter } from "../audit/router.ts";
import { commerceRouter } from "../commerce/router.ts";
import { accountRouter, keysRouter, membersRouter } from "../identity/router.ts";
import { publishingRouter } from "../publishing/router.ts";
import { storeRouter } from "../store/router.ts";
import { usageRouter } from "../usage/router.ts";
import { vaultsRouter } from "../vaults/router.ts";
import { createCallerFactory, router } from "./init.ts";

/** The portal's API: one router per domain, each procedure a thin call into a service. */
export const appRouter = router({
  account: accountRouter,
  keys: keysRouter,
  members: membersRouter,
  store: storeRouter,
  commerce: commerceRouter,
  publishing: publishingRouter,
  vaults: vaultsRouter,
  usage: usageRouter,
  audit: auditRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
export type { TrpcContext } from "./init.ts";
