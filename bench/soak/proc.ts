// The processes of a `wrangler dev` and their memory, from /proc (Linux), for the soak.
import { readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";

/** Bytes as MB with one decimal. */
export const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

export interface ProcMemory {
  pid: number;
  role: string;
  rss_mb: number;
  anon_mb: number;
  file_mb: number;
}

function procFields(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(`/proc/${pid}/status`, "utf8").split("\n")) {
    const m = /^(VmRSS|RssAnon|RssFile|RssShmem):\s+(\d+) kB/.exec(line);
    if (m) out[m[1] as string] = Number(m[2]) * 1024;
  }
  return out;
}

function pids(): number[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .map(Number);
}

export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

function processGroup(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
  } catch {
    return null;
  }
}

/** The process group of the wrangler started for `port` (it is spawned detached: its own group). */
export function wranglerGroup(port: string): number {
  for (const pid of pids()) {
    const args = cmdline(pid);
    const i = args.indexOf("--port");
    if (args.some((a) => a.endsWith("wrangler/bin/wrangler.js")) && args[i + 1] === port) {
      const group = processGroup(pid);
      if (group !== null) return group;
    }
  }
  throw new Error(`no wrangler process for port ${port}`);
}

/** The group's processes: `runtime` (workerd running our Worker), `proxy` (wrangler's), `wrangler`. */
export function members(group: number): { pid: number; role: string }[] {
  const out: { pid: number; role: string }[] = [];
  for (const pid of pids()) {
    if (processGroup(pid) !== group) continue;
    const args = cmdline(pid);
    const exe = args[0] ?? "";
    if (exe.endsWith("/workerd")) {
      out.push({
        pid,
        role: args.some((a) => a.startsWith("--inspector-addr")) ? "runtime" : "proxy",
      });
    } else if (args.some((a) => a.endsWith("wrangler-dist/cli.js"))) {
      out.push({ pid, role: "wrangler" });
    }
  }
  return out;
}

export function memoryOf(group: number): ProcMemory[] {
  const out: ProcMemory[] = [];
  for (const { pid, role } of members(group)) {
    try {
      const f = procFields(pid);
      out.push({
        pid,
        role,
        rss_mb: mb(f.VmRSS ?? 0),
        anon_mb: mb(f.RssAnon ?? 0),
        file_mb: mb((f.RssFile ?? 0) + (f.RssShmem ?? 0)),
      });
    } catch {
      // exited between the listing and the read
    }
  }
  return out.sort((a, b) => a.role.localeCompare(b.role));
}

/** TCP ports `pid` listens on (IPv4), from its socket inodes and /proc/net/tcp. */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1] as string);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols[3] === "0A" && inodes.has(cols[9] ?? "")) {
      ports.push(Number.parseInt((cols[1] ?? ":0").split(":")[1] as string, 16));
    }
  }
  return ports;
}

/** Bytes of the files under `dir` (0 when it is gone). */
export function diskUsage(dir: string): number {
  let total = 0;
  try {
    for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile()) continue;
      try {
        total += statSync(join(entry.parentPath, entry.name)).size;
      } catch {
        // removed meanwhile
      }
    }
  } catch {
    // no such directory
  }
  return total;
}
