import type { Problem } from "./types.ts";

/** Small pieces of HTTP the client builds its requests with. */

/** A path segment, escaped. */
export const enc = encodeURIComponent;

/** `?a=1&b=2` of the defined values, or nothing. */
export function qs(query: Record<string, string | number | boolean | undefined>): string {
  const entries = Object.entries(query).filter(([, v]) => v !== undefined) as Array<
    [string, string | number | boolean]
  >;
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)]))}` : "";
}

/** An upload body as the web stream fetch sends. */
export function toStream(
  body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
): ReadableStream<Uint8Array> {
  if (body instanceof ReadableStream) return body;
  const iterator = body[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await iterator.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

/** A failed response's problem+json, or one made from its status when the body is not one. */
export async function problemOf(response: Response): Promise<Problem> {
  const text = await response.text();
  try {
    return JSON.parse(text) as Problem;
  } catch {
    return {
      type: "about:blank",
      title: response.statusText,
      status: response.status,
      detail: text,
      code: "http_error",
    };
  }
}
