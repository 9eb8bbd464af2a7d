/**
 * A handler that runs what a run's payload asks for as a child process, when the operator's
 * configuration allows it (command-policy.ts decides; worker-config.ts is the configuration).
 *
 * The command starts from the configuration's base environment (never the worker's own: no token,
 * no loader variables), plus the payload's `env` (refused names left out) and the run's variables
 * (SCHEDULER_RUN_ID, SCHEDULER_ATTEMPT, SCHEDULER_JOB_ID, SCHEDULER_POOL, SCHEDULER_SCHEDULED_FOR,
 * SCHEDULER_PAYLOAD, and SCHEDULER_CHECKPOINT when the run has a checkpoint). It saves a checkpoint
 * by printing `::checkpoint {json}` (progress: `::progress {json}`) on a line of its own on stdout,
 * is stopped after the job's timeout_seconds (SIGTERM, SIGKILL 5 s later), and its exit code
 * decides the report: 0 completes the run, anything else fails it (retryable).
 * The result is `{exit_code, signal, output}`, output being the last 4 KiB of stdout and stderr.
 */
import { spawn } from "node:child_process";
import { type CommandSpec, decideCommand } from "./command-policy.ts";
import {
  type ClaimedRun,
  type Handler,
  type Logger,
  type RunContext,
  RunError,
} from "./create-worker.ts";
import type { WorkerConfig } from "./worker-config.ts";

export interface CommandResult {
  exit_code: number | null;
  signal: string | null;
  /** The last 4 KiB of stdout and stderr together (checkpoint and progress lines left out). */
  output: string;
}

export interface CommandHandlerOptions {
  /** What may run, and the environment commands start from. */
  config: WorkerConfig;
  /** Between SIGTERM and SIGKILL when a command is stopped (timeout, cancel, drain). */
  killAfterMs?: number;
  outputBytes?: number;
  log?: Logger;
}

const CHECKPOINT = "::checkpoint ";
const PROGRESS = "::progress ";
/** A stdout line longer than this is output, never a checkpoint (the limit is 64 KiB of JSON). */
const MAX_LINE_BYTES = 80 * 1024;
/** How much of the output a failure's error message carries. */
const ERROR_OUTPUT_CHARS = 2000;

/** Keeps the last `limit` bytes written to it. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  private readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.chunks.length > 1 && this.size - (this.chunks[0] as Buffer).length >= this.limit) {
      this.size -= (this.chunks.shift() as Buffer).length;
    }
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    const tail = all.subarray(Math.max(0, all.length - this.limit));
    // A cut through a multi-byte character decodes to U+FFFD at the start: drop it.
    return tail.toString("utf8").replace(/^\uFFFD+/, "");
  }
}

/** The environment of a run's command. */
export function commandEnv(
  base: Record<string, string>,
  spec: CommandSpec,
  run: ClaimedRun,
  checkpoint: unknown,
): Record<string, string> {
  const env: Record<string, string> = { ...base, ...spec.env };
  env.SCHEDULER_RUN_ID = run.run_id;
  env.SCHEDULER_ATTEMPT = String(run.attempt);
  env.SCHEDULER_JOB_ID = run.job_id;
  env.SCHEDULER_POOL = run.pool;
  env.SCHEDULER_SCHEDULED_FOR = run.scheduled_for;
  env.SCHEDULER_PAYLOAD = JSON.stringify(run.payload ?? null);
  if (checkpoint === null || checkpoint === undefined) delete env.SCHEDULER_CHECKPOINT;
  else env.SCHEDULER_CHECKPOINT = JSON.stringify(checkpoint);
  return env;
}

export function commandHandler(options: CommandHandlerOptions): Handler {
  const killAfterMs = options.killAfterMs ?? 5000;
  const outputBytes = options.outputBytes ?? 4096;
  const log: Logger = options.log ?? (() => {});
  const { config } = options;

  return async (run: ClaimedRun, ctx: RunContext): Promise<CommandResult> => {
    const spec = decideCommand(run.payload, config);
    const env = commandEnv(config.baseEnv, spec, run, ctx.checkpoint);
    const tail = new Tail(outputBytes);
    const [file, ...args] = spec.argv as [string, ...string[]];
    // Its own process group: a Ctrl-C meant for the worker (which drains) does not reach the
    // command, and a stop reaches the command's own children too.
    const child = spawn(file, args, {
      cwd: spec.cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });

    let stopReason: "timeout" | "aborted" | null = null;
    let killTimer: NodeJS.Timeout | null = null;
    const signalGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        try {
          child.kill(signal);
        } catch {}
      }
    };
    const terminate = (reason: "timeout" | "aborted") => {
      if (stopReason || child.exitCode !== null || child.signalCode !== null) return;
      stopReason = reason;
      signalGroup("SIGTERM");
      killTimer = setTimeout(() => signalGroup("SIGKILL"), killAfterMs);
    };
    const timeoutMs = run.timeout_seconds > 0 ? run.timeout_seconds * 1000 : 0;
    const timeoutTimer = timeoutMs ? setTimeout(() => terminate("timeout"), timeoutMs) : null;
    const onAbort = () => terminate("aborted");
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    if (ctx.signal.aborted) onAbort();

    // stdout is read by lines to find checkpoint and progress lines; stderr goes to the tail as is.
    let pending: Buffer = Buffer.alloc(0);
    const line = (bytes: Buffer) => {
      const text = bytes.toString("utf8").replace(/\r$/, "");
      for (const [prefix, save] of [
        [CHECKPOINT, ctx.saveCheckpoint],
        [PROGRESS, ctx.progress],
      ] as const) {
        if (!text.startsWith(prefix)) continue;
        try {
          save(JSON.parse(text.slice(prefix.length)));
        } catch (error) {
          log(
            "warn",
            `run ${run.run_id}: ${prefix.trim()} line ignored: ${(error as Error).message}`,
          );
        }
        return;
      }
      tail.push(bytes);
      tail.push(Buffer.from("\n"));
    };
    child.stdout.on("data", (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      for (let nl = pending.indexOf(10); nl !== -1; nl = pending.indexOf(10)) {
        line(pending.subarray(0, nl));
        pending = pending.subarray(nl + 1);
      }
      if (pending.length > MAX_LINE_BYTES) {
        tail.push(pending);
        pending = Buffer.alloc(0);
      }
    });
    child.stderr.on("data", (chunk: Buffer) => tail.push(chunk));

    const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
    const exit = await new Promise<
      { code: number | null; signal: NodeJS.Signals | null } | { error: Error }
    >((resolve) => {
      child.once("error", (error) => resolve({ error }));
      child.once("exit", (code, signal) => resolve({ code, signal }));
    });
    // A background child that inherited stdout could keep it open: wait a little, not forever.
    await Promise.race([closed, new Promise((r) => setTimeout(r, 1000))]);
    child.stdout.destroy();
    child.stderr.destroy();
    if (pending.length) {
      const rest = pending.toString("utf8");
      if (rest.startsWith(CHECKPOINT) || rest.startsWith(PROGRESS)) line(pending);
      else tail.push(pending);
    }
    if (timeoutTimer) clearTimeout(timeoutTimer);
    if (killTimer) clearTimeout(killTimer);
    ctx.signal.removeEventListener("abort", onAbort);

    if ("error" in exit) {
      throw new RunError(`could not start ${file}: ${exit.error.message}`, { cause: exit.error });
    }
    const result: CommandResult = {
      exit_code: exit.code,
      signal: exit.signal,
      output: tail.text(),
    };
    const withOutput = (text: string) =>
      result.output ? `${text}\n${result.output.slice(-ERROR_OUTPUT_CHARS)}` : text;
    if (stopReason === "timeout") {
      throw new RunError(withOutput(`timed out after ${run.timeout_seconds} s`));
    }
    if (stopReason === "aborted") throw new RunError(withOutput("stopped"));
    if (exit.code === 0) return result;
    throw new RunError(
      withOutput(exit.code !== null ? `exit code ${exit.code}` : `killed by ${exit.signal}`),
    );
  };
}
