import { enc } from "./http.ts";

type Raw = (method: string, path: string, init?: RequestInit) => Promise<Response>;

/** One event of a vault's stream: its sequence number (the SSE id), type and data. */
export type VaultEvent = { id: string; type: string; data: unknown };

/** The events of one SSE message block, or null when it carries none (a comment, a retry hint). */
function parseBlock(block: string): { id?: string; type: string; data: string; retry?: number } | null {
  let id: string | undefined;
  let type = "message";
  const data: string[] = [];
  let retry: number | undefined;
  for (const line of block.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "id") id = value;
    else if (field === "event") type = value;
    else if (field === "data") data.push(value);
    else if (field === "retry" && /^\d+$/.test(value)) retry = Number(value);
  }
  if (data.length === 0) return retry === undefined ? null : { type: "", data: "", retry };
  return { id, type, data: data.join("\n"), retry };
}

/**
 * A vault's event stream (`GET /api/v1/vaults/{id}/events`) as an async iterator that does not
 * miss events: when the connection drops it reconnects after the server's `retry` delay with
 * `Last-Event-ID`, and the server replays what came after it. Ends when `signal` aborts, or on a
 * refusal (an `error` event, or a 4xx: a revoked key, another tenant's vault).
 */
export async function* vaultEvents(
  raw: Raw,
  vaultId: string,
  options: { lastEventId?: string; signal?: AbortSignal } = {},
): AsyncGenerator<VaultEvent> {
  let lastId = options.lastEventId;
  let delay = 3000;
  while (!options.signal?.aborted) {
    let response: Response;
    try {
      response = await raw("GET", `/api/v1/vaults/${enc(vaultId)}/events`, {
        headers: { accept: "text/event-stream", ...(lastId && { "last-event-id": lastId }) },
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal?.aborted || (error as { status?: number }).status) throw error;
      await new Promise((r) => setTimeout(r, delay));
      continue;
    }
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, "\n");
        let end: number;
        while ((end = buffer.indexOf("\n\n")) !== -1) {
          const parsed = parseBlock(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (!parsed) continue;
          if (parsed.retry !== undefined) delay = parsed.retry;
          if (parsed.type === "") continue;
          if (parsed.type === "error") throw new Error(`the event stream was refused: ${parsed.data}`);
          if (parsed.id !== undefined) lastId = parsed.id;
          yield { id: parsed.id ?? "", type: parsed.type, data: JSON.parse(parsed.data) as unknown };
        }
      }
    } catch (error) {
      if (options.signal?.aborted) return;
      if ((error as Error).message.startsWith("the event stream was refused")) throw error;
      // A dropped connection: reconnect below and resume after the last event seen.
    }
    if (options.signal?.aborted) return;
    await new Promise((r) => setTimeout(r, delay));
  }
}
