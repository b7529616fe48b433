import { auditRouter } from "./routers/audit.ts";
import { commerceRouter } from "./routers/commerce.ts";
import { accountRouter, keysRouter, membersRouter, organizationRouter } from "./routers/identity.ts";
import { publishingRouter } from "./routers/publishing.ts";
import { storeRouter } from "./routers/store.ts";
import { usageRouter } from "./routers/usage.ts";
import { vaultsRouter } from "./routers/vaults.ts";
import { createCallerFactory, router } from "./init.ts";

/** The portal's API: one router per domain, each procedure a thin call into a service. */
export const appRouter = router({
  account: accountRouter,
  keys: keysRouter,
  members: membersRouter,
  organization: organizationRouter,
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
