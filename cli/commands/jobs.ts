/** jobs (tenant token). */
import {
  type Job,
  type JobInput,
  type Run,
  SchedulerProblem,
  type Target,
} from "../../src/client/index.ts";
import type { LIMITS } from "../../src/domain/limits.ts";
import {
  args,
  CONCURRENCY,
  type Command,
  type Context,
  choice,
  ids,
  int,
  PAGING,
  str,
} from "../command.ts";
import {
  changesTargetWithoutUrl,
  JOB_OPTIONS,
  jobFromFlags,
  jobsFromFile,
  jsonArgument,
  patchFromFlags,
} from "../job-input.ts";
import { bulk, printList } from "../lists.ts";
import { type Column, EXIT, fields, table, time, UsageError } from "../output.ts";
import { showFireTimes } from "./other.ts";

/** The API's batch limit; the type keeps it equal to LIMITS.maxBatchJobs. */
const MAX_BATCH_JOBS: typeof LIMITS.maxBatchJobs = 1000;
/** Batches stay under the API's 8 MiB batch body limit with room to spare. */
const MAX_BATCH_BYTES = 6 * 1024 * 1024;

export function describeSchedule(job: Pick<Job, "schedule">): string {
  const s = job.schedule;
  if (!s) return "now";
  if (s.cron) return `cron ${s.cron}${s.timezone && s.timezone !== "UTC" ? ` ${s.timezone}` : ""}`;
  if (s.at) return `at ${time(s.at)}`;
  if (s.delay_seconds !== undefined) return `after ${s.delay_seconds}s`;
  return "-";
}

/** `POST https://…` for a webhook; other kinds by their type and fields. */
export function describeTarget(target: Target | null | undefined): string {
  if (!target) return "-";
  if (target.type === "http") return `${target.method} ${target.url}`;
  const { type, ...rest } = target as { type: string };
  return `${type} ${JSON.stringify(rest)}`;
}

export const JOB_COLUMNS: Column<Job>[] = [
  ["ID", (j) => j.id],
  ["NAME", (j) => j.name],
  ["STATUS", (j) => j.status],
  ["PRIORITY", (j) => j.priority],
  ["SCHEDULE", describeSchedule],
  ["NEXT RUN", (j) => time(j.next_run_at)],
  [
    "LAST RUN",
    (j) => (j.last_run ? `${j.last_run.status} ${time(j.last_run.scheduled_for)}` : "-"),
  ],
];

export const showJob = (j: Job) =>
  fields([
    ["id", j.id],
    ["name", j.name],
    ["status", j.status],
    ["schedule", describeSchedule(j)],
    ["next run", time(j.next_run_at)],
    ["target", describeTarget(j.target)],
    ["priority", j.priority],
    ["flow key", j.flow_key],
    [
      "retry",
      `${j.retry.max_attempts} attempts, backoff ${j.retry.initial_backoff_seconds}s to ${j.retry.max_backoff_seconds}s, on ${j.retry_on}`,
    ],
    ["timeout", `${j.timeout_seconds}s`],
    ["overlap", j.overlap],
    ["catch-up window", `${j.catchup_window_seconds}s`],
    ["last run", j.last_run ? `${j.last_run.id} ${j.last_run.status}` : "-"],
    ["version", j.version],
    ["created", time(j.created_at)],
    ["updated", time(j.updated_at)],
    ...(Object.keys(j.metadata).length ? [["metadata", j.metadata] as [string, unknown]] : []),
  ]);

const showRunLine = (r: Run) =>
  `${r.id}  ${r.status}  job ${r.job_id}  ${time(r.scheduled_for)}${r.flow_key ? `  flow key ${r.flow_key}` : ""}`;
const showJobLine = (j: Job) => `${j.id}  ${j.status}  ${j.name}`;

/** Slices `jobs` into batches of at most `size` jobs and MAX_BATCH_BYTES. */
export function batches(jobs: JobInput[], size: number): { start: number; jobs: JobInput[] }[] {
  const result: { start: number; jobs: JobInput[] }[] = [];
  let current: JobInput[] = [];
  let start = 0;
  let bytes = 0;
  jobs.forEach((job, i) => {
    const length = JSON.stringify(job).length + 1;
    if (current.length && (current.length >= size || bytes + length > MAX_BATCH_BYTES)) {
      result.push({ start, jobs: current });
      current = [];
      start = i;
      bytes = 0;
    }
    current.push(job);
    bytes += length;
  });
  if (current.length) result.push({ start, jobs: current });
  return result;
}

/** A batch's problem with `jobs[i]` paths renamed to the file's entries, `[start + i]`. */
function fileProblem(problem: SchedulerProblem, start: number, path: string): SchedulerProblem {
  const rename = (text: string) =>
    text.replace(/jobs\[(\d+)\]/g, (_, i: string) => `${path}[${start + Number(i)}]`);
  return new SchedulerProblem(
    {
      ...problem.toJSON(),
      detail: rename(problem.detail),
      errors: problem.errors.map((e) => ({ ...e, path: rename(e.path) })),
    },
    problem.request,
    problem.retryAfter,
  );
}

async function createFromFile(ctx: Context, path: string): Promise<undefined> {
  const all = jobsFromFile(path, ctx.cwd);
  const from = int(ctx.values, "from", { min: 0, max: all.length }) ?? 0;
  const size = int(ctx.values, "batch-size", { min: 1, max: MAX_BATCH_JOBS }) ?? 500;
  const jobs = all.slice(from);
  const progress = ctx.progress(jobs.length, "creating jobs");
  const created: Job[] = [];
  for (const batch of batches(jobs, size)) {
    const start = from + batch.start;
    try {
      created.push(...(await ctx.client.jobs.createBatch(batch.jobs)));
      progress.advance(batch.jobs.length);
    } catch (error) {
      progress.finish();
      const done = created.length
        ? `created entries ${from} to ${from + created.length - 1} of ${path}`
        : "created nothing";
      ctx.note(
        `${done}; entries ${start} to ${start + batch.jobs.length - 1} were refused as one batch (none of them exists); fix them and continue with --from ${start}`,
      );
      throw error instanceof SchedulerProblem ? fileProblem(error, start, path) : error;
    }
  }
  progress.finish();
  ctx.print({ created: created.length, data: created }, () =>
    created.length <= 20
      ? table(created, JOB_COLUMNS)
      : `${table(created.slice(0, 10), JOB_COLUMNS)}\n… and ${created.length - 10} more`,
  );
  ctx.note(`created ${created.length} jobs from ${path}`);
  return undefined;
}

export const jobCommands: Command[] = [
  {
    name: "jobs create",
    summary: "create a job from flags, or many from a JSON file in batches",
    help: [
      "Examples:",
      "  jobs create --target https://example.com/hooks/report --cron '0 3 * * *' --timezone Europe/Berlin \\",
      '              --name nightly-report --body \'{"report":"daily"}\'',
      "  jobs create --target https://example.com/hooks/once --delay 10m",
      '  jobs create --file jobs.json            # [ {job}, ... ], {"jobs": [...]}, or one job per line',
      "",
      "From a file, jobs are sent in batches (--batch-size, default 500), each all or nothing and",
      "in file order. If a batch is refused, the jobs before it exist; the problem names the entry",
      "(jobs.json[1234].target.url) and --from continues after a fix.",
    ].join("\n"),
    auth: "tenant",
    options: {
      ...JOB_OPTIONS,
      "idempotency-key": {
        type: "string",
        value: "<key>",
        description: "same key and body within 24 h: the first job is returned again",
      },
      file: { type: "string", value: "<path>", description: "create the jobs in this JSON file" },
      "batch-size": {
        type: "string",
        value: "<n>",
        description: "jobs per request with --file (max 1000)",
      },
      from: {
        type: "string",
        value: "<index>",
        description: "with --file: skip the entries before it",
      },
    },
    async run(ctx) {
      const file = str(ctx.values, "file");
      if (ctx.positionals.length) throw new UsageError(`unexpected ${ctx.positionals.join(" ")}`);
      if (file) {
        const clashing = Object.keys(JOB_OPTIONS).filter((name) => ctx.values[name] !== undefined);
        if (clashing.length)
          throw new UsageError(
            `--file takes the jobs from the file; drop --${clashing.join(", --")}`,
          );
        return createFromFile(ctx, file);
      }
      const input = jobFromFlags(ctx.values, ctx.cwd);
      const key = str(ctx.values, "idempotency-key");
      const job = await ctx.client.jobs.create(input, key ? { idempotencyKey: key } : {});
      ctx.print(job, () => showJob(job));
      return undefined;
    },
  },
  {
    name: "jobs list",
    summary: "list jobs in creation order",
    auth: "tenant",
    options: {
      status: {
        type: "string",
        value: "<status>",
        description: "active, paused, completed, cancelled",
      },
      priority: { type: "string", value: "<priority>", description: "high, medium, low" },
      ...PAGING,
    },
    run: (ctx) =>
      printList(
        ctx,
        ctx.client.jobs.list({
          status: choice(ctx.values, "status", [
            "active",
            "paused",
            "completed",
            "cancelled",
          ] as const),
          priority: choice(ctx.values, "priority", ["high", "medium", "low"] as const),
          limit: int(ctx.values, "limit", { min: 1, max: 200 }),
          cursor: str(ctx.values, "cursor"),
        }),
        JOB_COLUMNS,
        "jobs",
      ),
  },
  {
    name: "jobs get",
    args: "<job-id>",
    summary: "show a job",
    auth: "tenant",
    async run(ctx) {
      const [id] = args(ctx, ["job-id"]);
      const job = await ctx.client.jobs.get(id as string);
      ctx.print(job, () => showJob(job));
      return undefined;
    },
  },
  {
    name: "jobs update",
    args: "<job-id>",
    summary: "change a job: the flags given, or a JSON patch from --patch",
    auth: "tenant",
    options: {
      ...JOB_OPTIONS,
      now: { type: "boolean", description: "replace the schedule with a single run now" },
      "no-flow-key": {
        type: "boolean",
        description: "remove the job's flow key (its runs that have not started follow)",
      },
      patch: { type: "string", value: "<json|@file>", description: "the PATCH body itself" },
      "if-version": {
        type: "string",
        value: "<n>",
        description: "refuse (412) if the job's version is no longer this",
      },
    },
    async run(ctx) {
      const [id] = args(ctx, ["job-id"]);
      const raw = str(ctx.values, "patch");
      let ifVersion = int(ctx.values, "if-version", { min: 1 });
      let patch: Record<string, unknown>;
      if (raw !== undefined) {
        patch = jsonArgument(raw, "patch", ctx.cwd) as Record<string, unknown>;
      } else {
        let current: Job | undefined;
        if (changesTargetWithoutUrl(ctx.values)) {
          current = await ctx.client.jobs.get(id as string);
          // The merged target is based on this read: refuse if the job changes meanwhile.
          ifVersion ??= current.version;
        }
        patch = patchFromFlags(ctx.values, ctx.cwd, current?.target ?? undefined);
      }
      if (Object.keys(patch).length === 0) throw new UsageError("nothing to change");
      const job = await ctx.client.jobs.update(id as string, patch, { ifVersion });
      ctx.print(job, () => showJob(job));
      return undefined;
    },
  },
  ...(
    [
      ["pause", "pause jobs: their waiting runs are held", "pausing jobs"],
      ["resume", "resume paused jobs (the catch-up window applies)", "resuming jobs"],
      ["cancel", "cancel jobs: no further runs; waiting runs are cancelled", "cancelling jobs"],
    ] as const
  ).map(
    ([verb, summary, label]): Command => ({
      name: `jobs ${verb}`,
      args: "<job-id>...",
      summary,
      auth: "tenant",
      options: CONCURRENCY,
      run: (ctx) =>
        bulk(
          ctx,
          ids(ctx, "job id"),
          label,
          (id) => ctx.client.jobs[verb](id),
          (job) => (ctx.positionals.length === 1 ? showJob(job) : showJobLine(job)),
        ),
    }),
  ),
  {
    name: "jobs trigger",
    args: "<job-id>...",
    summary: "run jobs once now; prints the new runs",
    auth: "tenant",
    options: {
      "flow-key": {
        type: "string",
        value: "<key>",
        description: "count these runs under this flow key instead of the job's",
      },
      "no-flow-key": { type: "boolean", description: "count these runs under no flow key" },
      ...CONCURRENCY,
    },
    run(ctx) {
      const key = str(ctx.values, "flow-key");
      const none = ctx.values["no-flow-key"] === true;
      if (key !== undefined && none)
        throw new UsageError("give --flow-key or --no-flow-key, not both");
      const input = key !== undefined ? { flow_key: key } : none ? { flow_key: null } : {};
      return bulk(
        ctx,
        ids(ctx, "job id"),
        "triggering jobs",
        (id) => ctx.client.jobs.trigger(id, input),
        showRunLine,
      );
    },
  },
  {
    name: "jobs preview",
    args: "<job-id>",
    summary: "a job's next fire times, in its zone and in UTC, DST days marked",
    auth: "tenant",
    options: {
      count: { type: "string", value: "<n>", description: "how many (1 to 100, default 10)" },
    },
    async run(ctx) {
      const [id] = args(ctx, ["job-id"]);
      const preview = await ctx.client.jobs.preview(
        id as string,
        int(ctx.values, "count", { min: 1, max: 100 }),
      );
      ctx.print(preview, () => showFireTimes(preview));
      return EXIT.ok;
    },
  },
];
