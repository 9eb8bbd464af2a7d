/** runs, dead letters (tenant token). */
import type { Run, RunDetail } from "../../src/client/index.ts";
import { RUN_STATUSES } from "../../src/domain/run-status.ts";
import {
  args,
  CONCURRENCY,
  type Command,
  choice,
  flag,
  ids,
  int,
  PAGING,
  str,
} from "../command.ts";
import { bulk, printList } from "../lists.ts";
import { type Column, EXIT, fields, table, time, UsageError } from "../output.ts";

export const RUN_COLUMNS: Column<Run>[] = [
  ["ID", (r) => r.id],
  ["JOB", (r) => r.job_id],
  ["STATUS", (r) => r.status],
  ["PRIORITY", (r) => r.priority],
  ["SCHEDULED FOR", (r) => time(r.scheduled_for)],
  ["ATTEMPT", (r) => `${r.attempt}/${r.max_attempts}`],
  ["LAG", (r) => (r.fire_lag_ms === null ? "-" : `${r.fire_lag_ms} ms`)],
  ["LAST ERROR", (r) => r.last_error],
];

const showRun = (r: Run | RunDetail) => {
  const summary = fields([
    ["id", r.id],
    ["job", r.job_id],
    ["status", r.status],
    ["trigger", r.trigger],
    ["priority", r.priority],
    ["scheduled for", time(r.scheduled_for)],
    ["attempts", `${r.attempt} of ${r.max_attempts}`],
    ["next attempt", time(r.next_attempt_at)],
    ["started", time(r.started_at)],
    ["finished", time(r.finished_at)],
    ["fire lag", r.fire_lag_ms === null ? "-" : `${r.fire_lag_ms} ms`],
    ["last error", r.last_error],
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
    args: "<run-id>",
    summary: "a run with every attempt (status code, duration, the answer's start)",
    auth: "tenant",
    async run(ctx) {
      const [id] = args(ctx, ["run-id"]);
      const run = await ctx.client.runs.get(id as string);
      ctx.print(run, () => showRun(run));
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
