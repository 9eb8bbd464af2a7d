/**
 * W12's loop: the queue consumer's calls to one tenant's object made directly. `concurrency`
 * invocations each take up to `claimSize` of the messages the object sent (captured.ts), claim
 * them with `claimRuns`, and hand a success for each claimed run to the consumer's own report
 * buffer (src/queues/report-buffer.ts), which calls `reportResults` as the consumer does: at most
 * 100 results per call, one call per tenant per 50 ms.
 */
import { BatchInputSchema } from "../../src/contract/job";
import { parseToken } from "../../src/domain/secrets";
import type { Credential } from "../../src/durable/tenant/tenant-store";
import type { AttemptResult, ClaimRequest, ClaimResponse } from "../../src/queues/messages";
import { ReportBuffer } from "../../src/queues/report-buffer";
import { forget, mailbox } from "./captured";
import { W12_TARGET } from "./echo-scheduler";
import type { DriveInput, DriveResult, PrepareInput } from "./protocol";

export type { DriveInput, DriveResult, PrepareInput };

export interface BenchEnv {
  TENANT_SCHEDULER: DurableObjectNamespace;
  ECHO_SCHEDULER: DurableObjectNamespace;
}

/** What the driver calls on an object: the consumer's surface (and the tenant's metrics). */
interface SchedulerStub {
  claimRuns(claims: ClaimRequest[], workerId: string | null): Promise<ClaimResponse>;
  reportResults(results: AttemptResult[]): Promise<void>;
  initialize(input: {
    id: string;
    name: string;
    tier: string;
  }): Promise<Outcome<{ token: string }>>;
  createJobs(credential: Credential, jobs: unknown[]): Promise<Outcome<unknown[]>>;
  metrics(credential: Credential): Promise<Outcome<string>>;
}

type Outcome<T> =
  | { ok: true; value: T }
  | { ok: false; problem: { title?: string; detail?: string } };

const METERED = [
  "scheduler_object_requests_total",
  "scheduler_sqlite_rows_read_total",
  "scheduler_sqlite_rows_written_total",
  "scheduler_runs_dispatched_total",
  "scheduler_runs_finished_total",
];

function unwrap<T>(outcome: Outcome<T>, what: string): T {
  if (!outcome.ok) throw new Error(`${what}: ${outcome.problem.title} ${outcome.problem.detail}`);
  return outcome.value;
}

function credentialOf(token: string): Credential {
  const parsed = parseToken(token);
  if (!parsed) throw new Error("not a tenant token");
  return { token_id: parsed.tokenId, secret: parsed.secret };
}

function tenantStub(env: BenchEnv, tenantId: string): SchedulerStub {
  return env.TENANT_SCHEDULER.get(
    env.TENANT_SCHEDULER.idFromName(tenantId),
  ) as unknown as SchedulerStub;
}

/** Creates the tenant (premium) and `runs` one-time jobs due at `due_at`, 1,000 per call. */
export async function prepare(env: BenchEnv, input: PrepareInput): Promise<{ token: string }> {
  const stub = tenantStub(env, input.tenant_id);
  const created = unwrap(
    await stub.initialize({ id: input.tenant_id, name: input.tenant_id, tier: "premium" }),
    "initialize",
  );
  const credential = credentialOf(created.token);
  const at = new Date(input.due_at).toISOString();
  for (let start = 0; start < input.runs; start += 1000) {
    const count = Math.min(1000, input.runs - start);
    const { jobs } = BatchInputSchema.parse({
      jobs: Array.from({ length: count }, (_, k) => ({
        name: `w12-${start + k}`,
        schedule: { at },
        target: W12_TARGET,
      })),
    });
    unwrap(await stub.createJobs(credential, jobs), "createJobs");
  }
  return { token: created.token };
}

/** Sums each METERED counter of the tenant's Prometheus text over its labels. */
async function readCounters(stub: SchedulerStub, credential: Credential) {
  const text = unwrap(await stub.metrics(credential), "metrics");
  const totals: Record<string, number> = Object.fromEntries(METERED.map((n) => [n, 0]));
  for (const line of text.split("\n")) {
    const match = /^([a-z_:][a-z0-9_:]*)(\{[^}]*\})?\s+([0-9.eE+-]+)/i.exec(line);
    const name = match?.[1] as string;
    if (match && name in totals) totals[name] = (totals[name] as number) + Number(match[3]);
  }
  return totals;
}

/** Made-up messages for the echo object, as the real object would send them. */
function fabricate(tenantId: string, runs: number): void {
  const now = Date.now();
  mailbox(tenantId).put(
    Array.from({ length: runs }, (_, i) => ({
      tenant_id: tenantId,
      run_id: `run-${i}`,
      job_id: `job-${i}`,
      attempt: 1,
      key: `job-${i}@${now}`,
      scheduled_for: now,
      priority: "medium" as const,
      dispatched_at: now,
    })),
  );
}

export async function drive(env: BenchEnv, input: DriveInput): Promise<DriveResult> {
  const started = Date.now();
  const echo = input.object === "echo";
  const stub = (echo
    ? env.ECHO_SCHEDULER.get(env.ECHO_SCHEDULER.idFromName(input.tenant_id))
    : tenantStub(env, input.tenant_id)) as unknown as SchedulerStub;
  const credential = input.token ? credentialOf(input.token) : null;
  const before = credential ? await readCounters(stub, credential) : null;
  const box = mailbox(input.tenant_id);
  if (echo) fabricate(input.tenant_id, input.runs);
  const reports = new ReportBuffer();
  const claimed = new Set<string>();
  let claimedTwice = 0;
  let claimCalls = 0;
  let reportCalls = 0;
  let lastReportAt = started;
  const timer = setTimeout(() => box.close(), input.deadline_ms);

  const invocation = async (n: number) => {
    for (;;) {
      const messages = await box.take(input.claim_size);
      if (messages.length === 0) return;
      claimCalls++;
      const answer = await stub.claimRuns(
        messages.map((m) => ({ run_id: m.run_id, attempt: m.attempt })),
        `w12-${n}`,
      );
      const now = Date.now();
      const results: AttemptResult[] = [];
      for (const attempt of answer.claimed) {
        if (claimed.has(attempt.run_id)) claimedTwice++;
        claimed.add(attempt.run_id);
        results.push({
          run_id: attempt.run_id,
          attempt: attempt.attempt,
          outcome: "succeeded",
          status_code: 200,
          started_at: now,
          duration_ms: 0,
          response_body: null,
          error: null,
        });
      }
      if (claimed.size >= input.runs) box.close();
      await reports.add(input.tenant_id, results, async (gathered) => {
        reportCalls++;
        await stub.reportResults(gathered);
        lastReportAt = Date.now();
      });
    }
  };
  await Promise.all(Array.from({ length: input.concurrency }, (_, n) => invocation(n)));
  clearTimeout(timer);
  const after = credential ? await readCounters(stub, credential) : null;
  const firstAt = box.firstAt;
  forget(input.tenant_id);
  return {
    runs: input.runs,
    claimed: claimed.size,
    claimed_twice: claimedTwice,
    not_claimed: input.runs - claimed.size,
    claim_calls: claimCalls,
    report_calls: reportCalls,
    first_message_at: echo ? started : firstAt,
    last_report_at: lastReportAt,
    drive_started_at: started,
    counters:
      before && after
        ? Object.fromEntries(METERED.map((n) => [n, (after[n] ?? 0) - (before[n] ?? 0)]))
        : null,
  };
}
