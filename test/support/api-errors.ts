import { MemStoreApiError } from "@memstore/sdk";

/** How an SDK call ended: "succeeded", or the problem's status and code ("409 conflict"). */
export const codeOf = (call: Promise<unknown>) =>
  call.then(
    () => "succeeded",
    (error: unknown) => (error instanceof MemStoreApiError ? `${error.status} ${error.code}` : String(error)),
  );
