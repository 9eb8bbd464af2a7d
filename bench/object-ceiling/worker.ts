/**
 * Entry of the bench-only Worker of W12 (wrangler.toml beside this file; never deployed): the
 * production TenantScheduler, the calibration object, the capture entrypoint standing in for the
 * run queues, and two routes the bench calls: POST /prepare and POST /drive (driver.ts).
 */
import { type BenchEnv, type DriveInput, drive, type PrepareInput, prepare } from "./driver";

export { TenantScheduler } from "../../src/durable/tenant-scheduler";
export { CaptureQueue } from "./capture-queue";
export { EchoScheduler } from "./echo-scheduler";

export default {
  async fetch(request: Request, env: BenchEnv): Promise<Response> {
    const { pathname } = new URL(request.url);
    try {
      if (pathname === "/health") return Response.json({ ok: true });
      if (request.method === "POST" && pathname === "/prepare")
        return Response.json(await prepare(env, (await request.json()) as PrepareInput));
      if (request.method === "POST" && pathname === "/drive")
        return Response.json(await drive(env, (await request.json()) as DriveInput));
      return new Response("not found", { status: 404 });
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      return new Response(message, { status: 500 });
    }
  },
} satisfies ExportedHandler<BenchEnv>;
