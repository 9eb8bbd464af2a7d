// CPU time of process trees from the kernel's own accounting (/proc/<pid>/stat): user + system,
// of each live process and of its exited, reaped children, so a window's sum survives exits.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** CPU ms of one process (and its reaped children) at a moment, with its command name. */
export interface ProcessCpu {
  pid: number;
  command: string;
  ms: number;
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    } catch {
      ticksPerSecond = 100;
    }
    if (!Number.isFinite(ticksPerSecond) || ticksPerSecond <= 0) ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

interface StatLine {
  pid: number;
  ppid: number;
  command: string;
  ticks: number;
}

/** pid, ppid, command and utime + stime + cutime + cstime of /proc/<pid>/stat; null if gone. */
function readStat(pid: number): StatLine | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command is in parentheses and may contain spaces: the fields follow the last ")".
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  const fields = text.slice(close + 2).split(" ");
  // fields[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14-17.
  const at = (field: number) => Number(fields[field - 3]);
  return {
    pid,
    ppid: at(4),
    command: text.slice(open + 1, close),
    ticks: at(14) + at(15) + at(16) + at(17),
  };
}

/** Whether /proc can be read here (Linux); elsewhere the CPU figures are left out. */
export function canMeasureCpu(): boolean {
  return readStat(process.pid) !== null;
}

/** The processes of the trees rooted at `roots` (the roots and all their descendants) now. */
export function cpuOfTrees(roots: readonly number[]): ProcessCpu[] {
  const stats: StatLine[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) stats.push(stat);
  }
  const children = new Map<number, StatLine[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s]);
  const byPid = new Map(stats.map((s) => [s.pid, s]));
  const out: ProcessCpu[] = [];
  const todo = roots.flatMap((pid) => byPid.get(pid) ?? []);
  const seen = new Set<number>();
  const msPerTick = 1000 / clockTicks();
  while (todo.length) {
    const s = todo.pop() as StatLine;
    if (seen.has(s.pid)) continue;
    seen.add(s.pid);
    out.push({ pid: s.pid, command: s.command, ms: s.ticks * msPerTick });
    todo.push(...(children.get(s.pid) ?? []));
  }
  return out;
}

/** CPU ms spent between two readings, in all and by command name (a process new since `before` counts from 0). */
export function cpuSpent(
  before: readonly ProcessCpu[],
  after: readonly ProcessCpu[],
): { total_ms: number; by_command: Record<string, number> } {
  const start = new Map(before.map((p) => [p.pid, p.ms]));
  const byCommand: Record<string, number> = {};
  let total = 0;
  for (const p of after) {
    const spent = Math.max(0, p.ms - (start.get(p.pid) ?? 0));
    total += spent;
    byCommand[p.command] = (byCommand[p.command] ?? 0) + spent;
  }
  return {
    total_ms: Math.round(total),
    by_command: Object.fromEntries(
      Object.entries(byCommand).map(([name, ms]) => [name, Math.round(ms)]),
    ),
  };
}

/** CPU spent by process trees over a window: from `cpuWindow` until its `end`. */
export interface CpuWindow {
  /** Ends the window (later calls return the first result); null where /proc is not readable. */
  end(): { total_ms: number; by_command: Record<string, number> } | null;
}

export function cpuWindow(roots: readonly number[]): CpuWindow {
  const before = canMeasureCpu() ? cpuOfTrees(roots) : null;
  let result: ReturnType<CpuWindow["end"]> | undefined;
  return {
    end() {
      result ??= before ? cpuSpent(before, cpuOfTrees(roots)) : null;
      return result;
    },
  };
}

/** ms of CPU per run, three decimals; null when unknown. */
export function cpuPerRun(spent: { total_ms: number } | null, runs: number): number | null {
  if (!spent || runs === 0) return null;
  return Math.round((spent.total_ms / runs) * 1000) / 1000;
}
