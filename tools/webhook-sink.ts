/**
 * A local webhook receiver on 127.0.0.1 used by tests, the demo and the benchmarks. It records each
 * delivery with its arrival time. Behaviour per URL query: `status=500`, `fail_times=2` (answer 500
 * to the first N attempts of each run, then 200), `delay_ms=3000`, `hang=1` (never answer).
 * `GET /_deliveries?path=/x` lists what arrived at a path; `DELETE /_deliveries` forgets everything.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";

export interface Delivery {
  path: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  received_at: number;
  finished_at: number | null;
}

export interface Sink {
  url: string;
  server: Server;
  deliveries: Delivery[];
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (chunk: Buffer) => parts.push(chunk));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

export async function startSink(port = 0): Promise<Sink> {
  const deliveries: Delivery[] = [];
  const failuresByRun = new Map<string, number>();
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/_deliveries") {
      if (req.method === "DELETE") deliveries.length = 0;
      const path = url.searchParams.get("path");
      const list = path ? deliveries.filter((d) => d.path === path) : deliveries;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(list));
      return;
    }
    const receivedAt = Date.now();
    const body = await readBody(req);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) headers[name] = String(value);
    const delivery: Delivery = {
      path: url.pathname,
      method: req.method ?? "GET",
      headers,
      body,
      received_at: receivedAt,
      finished_at: null,
    };
    deliveries.push(delivery);
    if (url.searchParams.get("hang") === "1") return;
    const delay = Number(url.searchParams.get("delay_ms") ?? 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    let status = Number(url.searchParams.get("status") ?? 200);
    const failTimes = Number(url.searchParams.get("fail_times") ?? 0);
    if (failTimes > 0) {
      const runId = headers["x-scheduler-run-id"] ?? "";
      const failures = failuresByRun.get(runId) ?? 0;
      if (failures < failTimes) {
        failuresByRun.set(runId, failures + 1);
        status = 500;
      }
    }
    delivery.finished_at = Date.now();
    res.writeHead(status, { "content-type": "text/plain" });
    res.end(status < 300 ? "ok" : `failing with ${status}`);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${actualPort}`,
    server,
    deliveries,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
