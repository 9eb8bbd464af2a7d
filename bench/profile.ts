// `npm run bench -- --profile`: a V8 CPU profile of the Worker isolate through wrangler dev's
// inspector (Chrome DevTools Protocol), written to bench/results/raw with a self-time summary.
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** A running profile: `stop` writes `<name>.cpuprofile` and `<name>-profile.txt`, returns the summary's path. */
export interface Profile {
  stop(dir: string, name: string): Promise<string>;
}

/** `workerDir`: wrangler dev's working directory, where it writes the bundle the profile's frames point into. */
export async function startProfile(inspectorPort: number, workerDir: string): Promise<Profile> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error("no inspector target");
  // The inspector refuses upgrades without an allowed Origin (miniflare's inspector proxy).
  const socket = new WebSocket(url, {
    headers: { origin: "http://127.0.0.1" },
  } as unknown as string[]);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve(), { once: true });
    socket.addEventListener("error", () => reject(new Error(`inspector ${url}`)), { once: true });
  });
  let nextId = 1;
  const pending = new Map<number, (result: unknown) => void>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  const call = (method: string, params: unknown = {}) =>
    new Promise<unknown>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: 500 });
  await call("Profiler.start");
  return {
    async stop(dir, name) {
      const { profile } = (await call("Profiler.stop")) as { profile: CpuProfile };
      socket.close();
      await writeFile(join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
      const path = join(dir, `${name}-profile.txt`);
      await writeFile(path, summarize(profile, await bundleModules(profile, workerDir)));
      return path;
    },
  };
}

/** Which module each line of the bundle belongs to (esbuild writes `// src/x.ts` before each module). */
type ModuleMap = Map<string, { line: number; module: string }[]>;

async function bundleModules(profile: CpuProfile, dir: string): Promise<ModuleMap> {
  const map: ModuleMap = new Map();
  const tmp = join(dir, ".wrangler/tmp");
  const builds = await readdir(tmp).catch(() => [] as string[]);
  for (const url of new Set(profile.nodes.map((n) => n.callFrame.url))) {
    if (!url.endsWith(".js")) continue;
    // Frames name the bundle relative to its build directory (`worker.js`); the newest build wins.
    const candidates = url.startsWith("file:")
      ? [fileURLToPath(url)]
      : [url, ...builds.reverse().map((b) => join(tmp, b, url))];
    let text: string | null = null;
    for (const path of candidates) {
      text = await readFile(path, "utf8").catch(() => null);
      if (text !== null) break;
    }
    if (text === null) continue;
    const starts: { line: number; module: string }[] = [];
    text.split("\n").forEach((line, i) => {
      const match = /^\/\/ (\S+\.[cm]?[jt]sx?)$/.exec(line);
      if (match) starts.push({ line: i, module: match[1] as string });
    });
    map.set(url, starts);
  }
  return map;
}

function moduleAt(modules: ModuleMap, url: string, line: number): string | null {
  const starts = modules.get(url);
  if (!starts?.length) return null;
  let found: string | null = null;
  for (const s of starts) {
    if (s.line > line) break;
    found = s.module;
  }
  return found;
}

/** Self time by function and by source (module or package), the largest first. */
export function summarize(profile: CpuProfile, modules: ModuleMap = new Map()): string {
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const selfUs = new Map<number, number>();
  samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i] ?? 0));
  });
  const byFunction = new Map<string, number>();
  const bySource = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const source = sourceOf(moduleAt(modules, url, lineNumber) ?? url, functionName);
    const fn = `${functionName || "(anonymous)"} ${source}:${lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    bySource.set(source, (bySource.get(source) ?? 0) + us);
  }
  // Library and native time charged to the nearest function of ours above it on the stack.
  const parent = new Map<number, ProfileNode>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node);
  const ours = (node: ProfileNode) =>
    /^(src|bench)\//.test(
      sourceOf(
        moduleAt(modules, node.callFrame.url, node.callFrame.lineNumber) ?? node.callFrame.url,
        node.callFrame.functionName,
      ),
    );
  const byOwner = new Map<string, number>();
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    let owner: ProfileNode | undefined = node;
    while (owner && !ours(owner)) owner = parent.get(owner.id);
    const { functionName, url, lineNumber } = (owner ?? node).callFrame;
    const key = owner
      ? `${functionName || "(anonymous)"} ${sourceOf(moduleAt(modules, url, lineNumber) ?? url, functionName)}`
      : "(not under our code: idle, GC, runtime)";
    byOwner.set(key, (byOwner.get(key) ?? 0) + us);
  }
  const table = (map: Map<string, number>, rows: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, rows)
      .map(
        ([k, us]) =>
          `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`,
      )
      .join("\n");
  return [
    `sampled ${(total / 1000).toFixed(0)} ms of the isolate's time over ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s`,
    "",
    "by source (self time):",
    table(bySource, 30),
    "",
    "by function (self time):",
    table(byFunction, 50),
    "",
    "by our function (its own time and the library and native time under it, up to the next of ours):",
    table(byOwner, 40),
    "",
  ].join("\n");
}

/** A package name (node_modules/x), a path under src/, or what V8 calls the frame. */
function sourceOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  const src = /((?:src|bench)\/.*)$/.exec(url);
  return src ? (src[1] as string) : url;
}
