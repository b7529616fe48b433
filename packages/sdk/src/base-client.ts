import { MemStoreApiError } from "./types.ts";
import { problemOf } from "./http.ts";

/** The client's plumbing: where the server is, the key and purpose every call carries, and errors. */
export class BaseClient {
  private readonly baseUrl: string;

  /**
   * `purpose`: what this client's calls are for, sent as `MemStore-Purpose` (a listing whose terms
   * name purposes serves only calls for one of them).
   */
  constructor(options: { baseUrl: string; apiKey?: string; purpose?: string; fetch?: typeof fetch }) {
    this.baseUrl = options.baseUrl.replace(/\/$/, "");
    this.apiKey = options.apiKey;
    this.purpose = options.purpose;
    this.fetchImpl = options.fetch ?? fetch;
  }

  private readonly apiKey: string | undefined;
  private readonly purpose: string | undefined;
  private readonly fetchImpl: typeof fetch;
  async request<T>(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<T> {
    const response = await this.raw(method, path, body, init);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }

  /** The response itself (a stream to read), once it is a success; a problem is thrown as MemStoreApiError. */
  async raw(method: string, path: string, body?: unknown, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.apiKey) headers.set("authorization", `Bearer ${this.apiKey}`);
    if (this.purpose) headers.set("memstore-purpose", this.purpose);
    if (body !== undefined) headers.set("content-type", "application/json");
    const response = await this.fetchImpl(`${this.baseUrl}${path}`, {
      ...init,
      method,
      headers,
      body: body !== undefined ? JSON.stringify(body) : init.body,
    });
    if (!response.ok) throw new MemStoreApiError(response.status, await problemOf(response));
    return response;
  }

  health() {
    return this.request<{ status: string; db: string; queue: string; storage: string }>(
      "GET",
      "/api/v1/health",
    );
  }
}
