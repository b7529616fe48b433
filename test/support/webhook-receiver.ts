import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

type Received = { headers: Record<string, string | string[] | undefined>; body: string };

/** A subscriber's webhook endpoint: records every POST and answers with the next scripted status. */
export async function webhookReceiver(statuses: number[] = []) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(statuses.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}/hooks/memstore`;
  return { url, port, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}
