/** runs, dead letters (tenant token). */
import type { Run, RunDetail, WaitingReason } from "../../src/client/index.ts";
import { isTerminal, RUN_STATUSES } from "../../src/domain/run-status.ts";
import {
  CONCURRENCY,
  type Command,
  type Context,
  choice,
  flag,
  ids,
  int,
  PAGING,
  str,
} from "../command.ts";
import { bulk, printList } from "../lists.ts";
import { type Column, EXIT, fields, table, time, UsageError, WaitTimeout } from "../output.ts";

/** What holds a run that is due, in words. */
export function waitingText(run: Pick<Run, "waiting_reason" | "flow_key">): string | null {
  const reasons: Record<WaitingReason, string> = {
    flow_key: `its flow key's limits (flow-keys get ${run.flow_key ?? "?"})`,
    destination: "its destination's limits (destinations list)",
    tenant_cap: "the tenant's in-flight cap",
  };
  return run.waiting_reason ? reasons[run.waiting_reason] : null;
}

export const RUN_COLUMNS: Column<Run>[] = [
  ["ID", (r) => r.id],
  ["JOB", (r) => r.job_id],
  ["STATUS", (r) => r.status],
  ["WAITING ON", (r) => r.waiting_reason],
  ["FLOW KEY", (r) => r.flow_key],
  ["PRIORITY", (r) => r.priority],
  ["SCHEDULED FOR", (r) => time(r.scheduled_for)],
  ["ATTEMPT", (r) => `${r.attempt}/${r.max_attempts}`],
  ["LAG", (r) => (r.fire_lag_ms === null ? "-" : `${r.fire_lag_ms} ms`)],
  ["LAST ERROR", (r) => r.last_error],
];

/** The console's page of a run, on the scheduler the CLI talks to. */
export function consoleRunUrl(baseUrl: string, runId: string): string {
  return `${baseUrl.replace(/\/+$/, "")}/console/runs/${encodeURIComponent(runId)}`;
}

const showRun = (r: Run | RunDetail, extra: { jobName?: string; consoleUrl?: string } = {}) => {
  const summary = fields([
    ["id", r.id],
    ["job", extra.jobName ? `${extra.jobName} (${r.job_id})` : r.job_id],
    ["status", r.status],
    ["trigger", r.trigger],
    ["priority", r.priority],
    ["flow key", r.flow_key],
    ["scheduled for", time(r.scheduled_for)],
    ["waiting on", waitingText(r)],
    ["attempts", `${r.attempt} of ${r.max_attempts}`],
    ["next attempt", time(r.next_attempt_at)],
    ["started", time(r.started_at)],
    ["finished", time(r.finished_at)],
    ["fire lag", r.fire_lag_ms === null ? "-" : `${r.fire_lag_ms} ms`],
    ["last error", r.last_error],
    ...(extra.consoleUrl ? [["in the console", extra.consoleUrl] as [string, unknown]] : []),
  ]);
  if (!("attempts" in r) || r.attempts.length === 0) return summary;
  return `${summary}\n\n${table(r.attempts, [
    ["#", (a) => a.attempt],
    ["OUTCOME", (a) => a.outcome],
    ["STATUS", (a) => a.status_code],
    ["STARTED", (a) => time(a.started_at)],
    ["DURATION", (a) => (a.duration_ms === null ? "-" : `${a.duration_ms} ms`)],
    ["ERROR", (a) => a.error],
    ["RESPONSE", (a) => a.response_body],
  ])}`;
};

const runLine = (r: Run) => `${r.id}  ${r.status}  job ${r.job_id}`;

/** How often `runs get --wait` asks again. */
const WAIT_POLL_MS = 500;

/** The run `runs get` names: its id, or with --job the job's newest run (undefined: none yet). */
async function findRun(ctx: Context, job: string | undefined): Promise<RunDetail | undefined> {
  if (job === undefined) return ctx.client.runs.get(ctx.positionals[0] as string);
  const page = await ctx.client.jobs.runs(job, { limit: 1 }).page();
  const newest = page.data[0];
  return newest ? ctx.client.runs.get(newest.id) : undefined;
}

/**
 * `runs get --wait`: asks until the run is final (or, with --job, until the job has a run and it
 * is final), at most --wait-seconds; one line on stderr each time the status changes.
 */
async function waitForRun(
  ctx: Context,
  job: string | undefined,
  seconds: number,
): Promise<RunDetail> {
  const deadline = Date.now() + seconds * 1000;
  let said = "";
  for (;;) {
    const run = await findRun(ctx, job);
    if (run && isTerminal(run.status)) return run;
    const state = run ? `${run.id} is ${run.status}` : `job ${job} has no run yet`;
    if (state !== said) ctx.note(`waiting: ${state}`);
    said = state;
    if (Date.now() >= deadline)
      throw new WaitTimeout(
        `${state} after ${seconds} s; run the command again to keep waiting (--wait-seconds)`,
      );
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
  }
}

export const runCommands: Command[] = [
  {
    name: "runs list",
    summary: "the tenant's runs, newest first (or one job's with --job)",
    auth: "tenant",
    options: {
      status: { type: "string", value: "<status>", description: RUN_STATUSES.join(", ") },
      job: { type: "string", value: "<job-id>", description: "only this job's runs" },
      worker: { type: "string", value: "<worker-id>", description: "only runs of this worker" },
      ...PAGING,
    },
    run(ctx) {
      const query = {
        status: choice(ctx.values, "status", RUN_STATUSES),
        worker_id: str(ctx.values, "worker"),
        limit: int(ctx.values, "limit", { min: 1, max: 200 }),
        cursor: str(ctx.values, "cursor"),
      };
      const job = str(ctx.values, "job");
      // A job's own list answers 404 for a job that does not exist, rather than an empty page.
      const runs = job ? ctx.client.jobs.runs(job, query) : ctx.client.runs.list(query);
      return printList(ctx, runs, RUN_COLUMNS, "runs");
    },
  },
  {
    name: "runs get",
    args: "(<run-id> | --job <job-id>)",
    summary: "a run with every attempt (status code, duration, the answer's start)",
    help: [
      "Examples:",
      "  runs get run_01m8...               # as it is now",
      "  runs get run_01m8... --wait        # once it has finished (succeeded, dead, cancelled...)",
      "  runs get --job job_01m8... --wait  # the job's newest run, waiting for the first if needed",
    ].join("\n"),
    auth: "tenant",
    options: {
      job: { type: "string", value: "<job-id>", description: "the job's newest run instead" },
      wait: { type: "boolean", description: "wait until the run has finished" },
      "wait-seconds": {
        type: "string",
        value: "<s>",
        description: "with --wait: give up after this long (default 60; exit 3)",
      },
    },
    async run(ctx) {
      const job = str(ctx.values, "job");
      if ((job === undefined) === (ctx.positionals.length !== 1))
        throw new UsageError(
          ctx.positionals.length > 1
            ? `give one run id, got ${ctx.positionals.join(" ")}`
            : "give a run id, or --job <job-id>",
        );
      const seconds = int(ctx.values, "wait-seconds", { min: 1, max: 86_400 }) ?? 60;
      const run = flag(ctx.values, "wait")
        ? await waitForRun(ctx, job, seconds)
        : await findRun(ctx, job);
      if (!run) throw new UsageError(`job ${job} has no run yet (--wait waits for its first)`);
      const jobName = ctx.json ? undefined : await jobNameOf(ctx, run.job_id);
      ctx.print(run, () =>
        showRun(run, { jobName, consoleUrl: consoleRunUrl(ctx.baseUrl, run.id) }),
      );
      return undefined;
    },
  },
  {
    name: "runs cancel",
    args: "<run-id>...",
    summary: "cancel unfinished runs",
    auth: "tenant",
    options: CONCURRENCY,
    run: (ctx) =>
      bulk(
        ctx,
        ids(ctx, "run id"),
        "cancelling runs",
        (id) => ctx.client.runs.cancel(id),
        (r) => (ctx.positionals.length === 1 ? showRun(r) : runLine(r)),
      ),
  },
  {
    name: "runs replay",
    args: "<run-id>...",
    summary: "run dead runs again with a fresh attempt budget",
    auth: "tenant",
    options: CONCURRENCY,
    run: (ctx) =>
      bulk(
        ctx,
        ids(ctx, "run id"),
        "replaying runs",
        (id) => ctx.client.runs.replay(id),
        (r) => (ctx.positionals.length === 1 ? showRun(r) : runLine(r)),
      ),
  },
  {
    name: "dead-letters list",
    summary: "runs that exhausted their attempts, newest first",
    auth: "tenant",
    options: {
      job: { type: "string", value: "<job-id>", description: "only this job's dead runs" },
      ...PAGING,
    },
    run: (ctx) =>
      printList(
        ctx,
        ctx.client.deadLetters.list({
          job_id: str(ctx.values, "job"),
          limit: int(ctx.values, "limit", { min: 1, max: 200 }),
          cursor: str(ctx.values, "cursor"),
        }),
        RUN_COLUMNS,
        "dead letters",
      ),
  },
  {
    name: "dead-letters replay",
    args: "[<run-id>...]",
    summary: "replay dead letters: the ids given, or --all (of one --job)",
    auth: "tenant",
    options: {
      all: { type: "boolean", description: "every dead letter (listed first, then replayed)" },
      job: { type: "string", value: "<job-id>", description: "with --all: only this job's" },
      ...CONCURRENCY,
    },
    async run(ctx) {
      const all = flag(ctx.values, "all");
      if (all === ctx.positionals.length > 0)
        throw new UsageError("give the run ids to replay, or --all");
      if (!all && str(ctx.values, "job")) throw new UsageError("--job goes with --all");
      let runIds = ctx.positionals;
      if (all) {
        // Listed to the end before any replay: replayed runs leave the list while it is walked.
        const dead = await ctx.client.deadLetters
          .list({ job_id: str(ctx.values, "job"), limit: 200 })
          .toArray();
        runIds = dead.map((r) => r.id);
        if (runIds.length === 0) {
          ctx.print({ data: [], failed: [] }, "no dead letters");
          return EXIT.ok;
        }
      }
      return bulk(
        ctx,
        runIds,
        "replaying dead letters",
        (id) => ctx.client.deadLetters.replay(id),
        runLine,
        // With --all, always the bulk report, even for one run.
        { single: !all && runIds.length === 1 },
      );
    },
  },
];

/** The job's name, for people; its id stands in when it cannot be read. */
async function jobNameOf(ctx: Context, jobId: string): Promise<string | undefined> {
  try {
    return (await ctx.client.jobs.get(jobId)).name;
  } catch {
    return undefined;
  }
}
