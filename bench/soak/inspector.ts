// The V8 heaps of the runtime's isolates (ours and Miniflare's), over the inspector protocol.
import { writeFile } from "node:fs/promises";
import { listeningPorts, mb } from "./proc.ts";

export class Inspector {
  private next = 1;
  private readonly waiting = new Map<number, (value: unknown) => void>();
  private chunks: string[] = [];
  private readonly socket: WebSocket;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(String(event.data)) as {
        id?: number;
        method?: string;
        params?: { chunk?: string };
        result?: unknown;
        error?: unknown;
      };
      if (message.method === "HeapProfiler.addHeapSnapshotChunk")
        this.chunks.push(message.params?.chunk ?? "");
      if (message.id === undefined) return;
      this.waiting.get(message.id)?.(message.error ? { error: message.error } : message.result);
      this.waiting.delete(message.id);
    });
  }

  /**
   * Connects through wrangler's inspector proxy (served by the proxy `workerd`): the runtime's own
   * inspector accepts one session, which that proxy holds. The proxy wants an allowed Origin.
   */
  static async connect(proxyPid: number, log: (message: string) => void): Promise<Inspector> {
    for (const port of listeningPorts(proxyPid)) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/json/list`, {
          signal: AbortSignal.timeout(2000),
        });
        const targets = (await response.json()) as { webSocketDebuggerUrl?: string }[];
        const url = targets[0]?.webSocketDebuggerUrl;
        if (!url) continue;
        const inspector = await Inspector.open(url, "http://127.0.0.1");
        log(`inspector: ${url}`);
        return inspector;
      } catch {
        // not the inspector port
      }
    }
    throw new Error(`no inspector found on the ports of workerd ${proxyPid}`);
  }

  /**
   * Sessions with the runtime's other isolates (Miniflare's queue brokers, entry worker, local
   * explorer, observability collector...): their heaps are in the same process and its RSS.
   */
  static async connectInternals(runtimePid: number): Promise<Map<string, Inspector>> {
    const out = new Map<string, Inspector>();
    for (const port of listeningPorts(runtimePid)) {
      let targets: { id: string; webSocketDebuggerUrl?: string }[];
      try {
        const response = await fetch(`http://127.0.0.1:${port}/json/list`, {
          signal: AbortSignal.timeout(2000),
        });
        targets = (await response.json()) as typeof targets;
        if (!Array.isArray(targets)) continue;
      } catch {
        continue;
      }
      for (const target of targets) {
        // Our Worker's isolate allows one session, which wrangler's proxy holds.
        if (!target.webSocketDebuggerUrl || target.id.startsWith("core:user:edge-scheduler"))
          continue;
        try {
          out.set(target.id, await Inspector.open(target.webSocketDebuggerUrl));
        } catch {
          // gone or refused: skip it
        }
      }
      if (out.size) break;
    }
    return out;
  }

  private static async open(url: string, origin?: string): Promise<Inspector> {
    // Node's WebSocket (undici) takes extra headers in its second argument.
    const init = origin ? ({ headers: { origin } } as unknown as string[]) : undefined;
    const socket = new WebSocket(url, init);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener("error", () => reject(new Error("inspector socket")), {
        once: true,
      });
    });
    return new Inspector(socket);
  }

  call<T>(method: string, params: Record<string, unknown> = {}, timeoutMs = 5_000): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${method}: no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (value) => {
        clearTimeout(timer);
        const failed = value as { error?: { message?: string } } | undefined;
        if (failed?.error) reject(new Error(`${method}: ${failed.error.message}`));
        else resolve(value as T);
      });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** The isolate's V8 heap (in use, committed) and its ArrayBuffer backing stores (outside it). */
  async heapUsage(
    collect: boolean,
  ): Promise<{ used_mb: number; total_mb: number; backing_mb: number }> {
    if (collect) await this.call("HeapProfiler.collectGarbage");
    const usage = await this.call<{
      usedSize: number;
      totalSize: number;
      backingStorageSize?: number;
    }>("Runtime.getHeapUsage");
    return {
      used_mb: mb(usage.usedSize),
      total_mb: mb(usage.totalSize),
      backing_mb: mb(usage.backingStorageSize ?? 0),
    };
  }

  /** Writes a .heapsnapshot (after a GC) to `path`. */
  async snapshot(path: string): Promise<void> {
    this.chunks = [];
    await this.call("HeapProfiler.takeHeapSnapshot", { reportProgress: false }, 300_000);
    await writeFile(path, this.chunks.join(""));
    this.chunks = [];
  }

  close(): void {
    this.socket.close();
  }
}
