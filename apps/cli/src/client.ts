import { MemStoreClient } from "@memstore/sdk";
import { Option } from "commander";

/** Client commands talk to a running MemStore over the REST API, as any user's script would. */
export const urlOption = () =>
  new Option("--url <url>", "MemStore base URL").env("MEMSTORE_URL").default("http://localhost:3000");
export const keyOption = () =>
  new Option("--key <api-key>", "API key (msk_…)").env("MEMSTORE_API_KEY").makeOptionMandatory();

export function clientFrom(options: { url: string; key: string; purpose?: string }): MemStoreClient {
  return new MemStoreClient({ baseUrl: options.url, apiKey: options.key, purpose: options.purpose });
}
