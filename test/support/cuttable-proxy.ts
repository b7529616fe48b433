import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * An HTTP proxy in front of a service (the Stripe stand-in) that a test can cut at an exact point:
 * while `cut` says so for a request, its connection is reset before anything is answered — what
 * a client sees when the service dies under it. Everything else is forwarded as it came.
 */
export async function startCuttableProxy(target: string) {
  let cut: (request: IncomingMessage) => boolean = () => false;
  const refused: string[] = [];
  const server = createServer((request, response) => {
    if (cut(request)) {
      refused.push(`${request.method} ${request.url}`);
      request.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => {
      const headers = Object.fromEntries(
        Object.entries(request.headers).filter(
          ([k]) => !["host", "connection", "content-length"].includes(k),
        ),
      ) as Record<string, string>;
      fetch(`${target}${request.url}`, {
        method: request.method,
        headers,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
      })
        .then(async (answer) => {
          response.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "" });
          response.end(Buffer.from(await answer.arrayBuffer()));
        })
        .catch(() => request.socket.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** From now on, reset every request for which `when` holds (`() => true`: the service is gone). */
    cutWhen(when: (request: IncomingMessage) => boolean) {
      cut = when;
    },
    /** Back in service. */
    mend() {
      cut = () => false;
    },
    /** The requests that were reset, as `METHOD /path`. */
    refused: () => [...refused],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
