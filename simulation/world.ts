/**
 * The simulated world around one tenant's object: its storage (which outlives restarts), the
 * clock, the queue messages it sent, the consumers' deliveries in flight, the pull workers and
 * their long polls, and the record of what happened that the invariants judge (attempts handed
 * out, leases told to workers). The object itself is the production class, driven through the
 * same RPC methods the Worker and the consumers call.
 */
import type { ClaimAnswer, ClaimInput, LeaseAnswer } from "../src/contract/worker";
import type { Outcome, Problem } from "../src/domain/problem";
import type { Credential } from "../src/durable/tenant/tenant-store";
import { TenantScheduler } from "../src/durable/tenant-scheduler";
import type { AttemptResult, ClaimedAttempt, RunMessage } from "../src/queues/messages";
import { install, SimClock } from "./platform/clock";
import { SimStorage, SimulatedStorageFailure } from "./platform/sqlite-storage";
import { Random } from "./random";

export const TENANT_ID = "sim";
/** 2026-11-02T00:00:00Z: the simulations all start at the same instant. */
export const START = Date.UTC(2026, 10, 2);

/** A message on a run queue, as the consumer will see it. */
export interface SimMessage {
  seq: number;
  body: RunMessage;
}

/** An attempt a consumer claimed and is delivering. */
export interface Delivery {
  attempt: ClaimedAttempt;
  claimedAt: number;
}

/** A pull worker of the simulation: what it holds, and its long poll if one is open. */
export interface SimWorker {
  id: string;
  held: Map<string, number>;
  poll: { alive: boolean } | null;
}

/** Something that broke a promise, found by an invariant or by the harness. */
export class Violation extends Error {
  constructor(
    readonly invariant: string,
    detail: string,
  ) {
    super(`${invariant}: ${detail}`);
  }
}

export class World {
  readonly clock = new SimClock(START);
  readonly storage = new SimStorage();
  readonly random: Random;
  /** Messages sent to the queues and not yet taken by a consumer. */
  messages: SimMessage[] = [];
  deliveries: Delivery[] = [];
  readonly workers: SimWorker[] = ["w1", "w2", "w3"].map((id) => ({
    id,
    held: new Map(),
    poll: null,
  }));
  /** Every (run, attempt) ever handed to a consumer or a worker. */
  readonly started = new Set<string>();
  /** The lease each worker was last told for the attempt it holds, by run. */
  readonly toldLeases = new Map<string, { attempt: number; until: number }>();
  /** What the step did that invariants must allow: replayed runs, refused requests. */
  step = newStep();
  /** Send failures armed for the next sends, and sends held back (to interleave a request). */
  failSends = 0;
  holdSends = false;
  private heldSends: { resolve: () => void; messages: RunMessage[] }[] = [];
  /** Whether an alarm of the current instance is running (a restart then cuts it short). */
  private alarmRunning = false;
  object!: TenantScheduler;
  credential!: Credential;
  workerCredential!: Credential;
  /** Log lines of the object, kept for a failure report. */
  readonly log: string[] = [];
  private messageSeq = 0;
  private ready: Promise<unknown> = Promise.resolve();
  private readonly uninstall: () => void;
  private readonly restoreConsole: () => void;

  constructor(seed: number) {
    this.random = new Random(seed ^ 0x5bd1e995);
    this.uninstall = install(this.clock, this.random);
    this.restoreConsole = captureConsole(this.log);
  }

  /** Creates the tenant and its tokens in a fresh object. */
  async start(): Promise<void> {
    await this.boot();
    const created = await this.object.initialize({ id: TENANT_ID, name: "Sim", tier: "premium" });
    if (!created.ok) throw new Error(`initialize: ${created.problem.detail}`);
    this.credential = credentialOf(created.value.token);
    const worker = await this.object.issueToken("worker");
    if (!worker.ok) throw new Error("issueToken");
    this.workerCredential = credentialOf(worker.value.token);
  }

  /** A new instance of the object over the same storage: memory, timers and long polls are gone. */
  async restart(): Promise<void> {
    // An instance that dies while its sends wait never hears back: the messages reached the queue,
    // nothing after the send runs, and the platform runs an unfinished alarm again.
    for (const held of this.heldSends.splice(0))
      for (const body of held.messages) this.messages.push({ seq: this.messageSeq++, body });
    this.holdSends = false;
    if (this.alarmRunning) {
      this.alarmRunning = false;
      this.storage.alarmAt = Math.min(this.storage.alarmAt ?? this.clock.now, this.clock.now);
    }
    this.clock.clear();
    for (const worker of this.workers) worker.poll = null;
    await this.boot();
  }

  dispose(): void {
    this.uninstall();
    this.restoreConsole();
  }

  private async boot(): Promise<void> {
    const ctx = {
      storage: this.storage,
      id: { toString: () => TENANT_ID, name: TENANT_ID },
      blockConcurrencyWhile: (fn: () => Promise<unknown>) => {
        this.ready = fn();
        return this.ready;
      },
      waitUntil: () => {},
    } as unknown as DurableObjectState;
    this.object = new TenantScheduler(ctx, this.env());
    await this.ready;
  }

  private env(): Env {
    const queue = {
      send: (body: RunMessage) => this.send([{ body }]),
      sendBatch: (batch: { body: RunMessage }[]) => this.send(batch),
    };
    const base: Record<string, unknown> = {
      LOG_LEVEL: "info",
      ALLOW_INSECURE_TARGETS: "true",
      ADMIN_TOKEN: "sim-admin",
      QUEUE_SHARDS: "2",
      TOKEN_SIGNING_KEY: "sim-token-signing-key",
    };
    // Every queue binding (two shards of every lane) is the same simulated network.
    return new Proxy(base, {
      get: (target, key) =>
        typeof key === "string" && /^RUNS_[A-Z]+_[01]$/.test(key) ? queue : target[key as string],
    }) as unknown as Env;
  }

  private async send(batch: { body: RunMessage }[]): Promise<void> {
    if (this.failSends > 0) {
      this.failSends--;
      throw new Error("simulated queue send failure");
    }
    if (this.holdSends) {
      const messages = batch.map((m) => m.body);
      await new Promise<void>((resolve) => this.heldSends.push({ resolve, messages }));
    }
    for (const { body } of batch) this.messages.push({ seq: this.messageSeq++, body });
  }

  /** Lets sends held back by `holdSends` go on. */
  releaseSends(): void {
    this.holdSends = false;
    for (const held of this.heldSends.splice(0)) held.resolve();
  }

  get sendsHeld(): boolean {
    return this.heldSends.length > 0;
  }

  // ---- calls, as the Worker and the consumers make them ----

  /**
   * Awaits an RPC outcome. A problem (4xx) is a refused request: the step records it, and the
   * invariants check it changed nothing. An exception is an internal error: expected only when
   * the step injected a storage failure.
   */
  async call<T>(promise: Promise<Outcome<T>>): Promise<T | null> {
    try {
      const outcome = await promise;
      if (outcome.ok) return outcome.value;
      this.step.refused = true;
      this.lastProblem = outcome.problem;
      return null;
    } catch (error) {
      this.internalError(error);
      return null;
    }
  }

  lastProblem: Problem | null = null;

  /** A call that threw: fine if the step injected a failure, otherwise a broken promise. */
  internalError(error: unknown): void {
    if (error instanceof SimulatedStorageFailure || isSimulatedSendFailure(error)) {
      this.step.error = error;
      return;
    }
    throw new Violation("no internal errors", describe(error));
  }

  /** Records attempts handed out; the same (run, attempt) twice breaks "an attempt starts once". */
  recordStart(runId: string, attempt: number, by: string): void {
    const key = `${runId}#${attempt}`;
    if (this.started.has(key))
      throw new Violation("an attempt starts at most once", `${key} handed out again to ${by}`);
    this.started.add(key);
  }

  /** Fires the alarm when it is due, as the runtime does (a throwing alarm is retried later). */
  async fireAlarm(): Promise<boolean> {
    const at = this.storage.alarmAt;
    // The platform runs one alarm at a time: the next waits for the running one to finish.
    if (at === null || at > this.clock.now || this.alarmRunning) return false;
    this.storage.alarmAt = null;
    const instance = this.object;
    this.alarmRunning = true;
    try {
      await instance.alarm();
    } catch (error) {
      if (instance !== this.object) return true;
      this.internalError(error);
      if (this.storage.alarmAt === null) this.storage.alarmAt = this.clock.now + 2_000;
    }
    if (instance === this.object) this.alarmRunning = false;
    return true;
  }

  /** A consumer's claim of `messages` (one batch of one tenant), as src/queues/consumer.ts makes it. */
  async consume(messages: SimMessage[]): Promise<void> {
    let claimed: ClaimedAttempt[];
    try {
      const response = await this.object.claimRuns(
        messages.map((m) => ({ run_id: m.body.run_id, attempt: m.body.attempt })),
        "consumer-sim",
      );
      claimed = response.claimed;
    } catch (error) {
      this.internalError(error);
      // The real consumer retries the batch later.
      this.messages.push(...messages);
      return;
    }
    for (const attempt of claimed) {
      this.recordStart(attempt.run_id, attempt.attempt, "a consumer");
      this.deliveries.push({ attempt, claimedAt: this.clock.now });
    }
  }

  /** A consumer's report of a delivery's result. */
  async report(results: AttemptResult[]): Promise<void> {
    try {
      await this.object.reportResults(results);
    } catch (error) {
      // The consumer logs and acks: the runs' leases will expire.
      this.internalError(error);
    }
  }

  /**
   * A worker's claim. A long poll stays open: its answer arrives when the object serves it (or
   * its wait ends), in a later step; the call returns once the object answered or parked it.
   */
  async claim(worker: SimWorker, input: ClaimInput): Promise<void> {
    const poll = { alive: true };
    let done = false;
    const parkedBefore = parkedClaims(this.object);
    const pending = this.object.claimForWorker(this.workerCredential, input, () => poll.alive);
    if (input.wait_seconds > 0) worker.poll = poll;
    pending.then(
      (outcome) => {
        done = true;
        try {
          this.answered(worker, poll, outcome);
        } catch (error) {
          this.internalErrorLater(error);
        }
      },
      (error) => {
        done = true;
        if (worker.poll === poll) worker.poll = null;
        this.internalErrorLater(error);
      },
    );
    for (let turn = 0; turn < 10_000 && !done; turn++) {
      await settle();
      if (parkedClaims(this.object) > parkedBefore) break;
    }
    await this.settle();
  }

  private answered(worker: SimWorker, poll: { alive: boolean }, outcome: Outcome<ClaimAnswer>) {
    if (worker.poll === poll) worker.poll = null;
    if (!outcome.ok) {
      this.step.refused = true;
      return;
    }
    for (const run of outcome.value.runs) {
      this.recordStart(run.run_id, run.attempt, `worker ${worker.id}`);
      // An abandoned long poll's answer reaches nobody: the run would go to a vanished worker.
      if (!poll.alive)
        throw new Violation(
          "no run is handed to a claim whose client has gone",
          `${run.run_id} attempt ${run.attempt} went to ${worker.id}'s abandoned long poll`,
        );
      worker.held.set(run.run_id, run.attempt);
      this.toldLeases.set(run.run_id, {
        attempt: run.attempt,
        until: Date.parse(run.lease_expires_at),
      });
    }
  }

  /** A worker learned its lease (or that it must stop) from a heartbeat's answer. */
  leaseAnswered(worker: SimWorker, answer: LeaseAnswer): void {
    if (answer.cancel || answer.lease_expires_at === null) {
      worker.held.delete(answer.run_id);
      this.toldLeases.delete(answer.run_id);
      return;
    }
    this.toldLeases.set(answer.run_id, {
      attempt: answer.attempt,
      until: Date.parse(answer.lease_expires_at),
    });
  }

  /** The worker stops holding a run (reported, refused, or told to stop). */
  release(worker: SimWorker, runId: string): void {
    worker.held.delete(runId);
    this.toldLeases.delete(runId);
  }

  private pendingError: unknown = null;

  private internalErrorLater(error: unknown): void {
    this.pendingError ??= error;
  }

  /** Lets answers that became ready (served long polls) arrive; rethrows an error one raised. */
  async settle(): Promise<void> {
    await settle();
    const error = this.pendingError;
    this.pendingError = null;
    if (error instanceof Violation) throw error;
    if (error !== null) this.internalError(error);
  }

  /** Moves the clock forward, firing the timers (long-poll deadlines) due meanwhile. */
  async advance(ms: number): Promise<void> {
    this.clock.advanceTo(this.clock.now + ms);
    await this.settle();
  }
}

/** Claims the object holds open (long polls), read from its claim queue. */
function parkedClaims(object: TenantScheduler): number {
  const inside = object as unknown as { workers: { claims: { waiting: unknown[] } } };
  return inside.workers.claims.waiting.length;
}

/** What one step did, for the checks after it. */
export function newStep() {
  return {
    replayed: new Set<string>(),
    refused: false,
    error: null as unknown,
    /** A job whose overlap rules changed (its earlier runs are judged apart). */
    rulesChanged: null as string | null,
    /** Flow limits were set or removed (rates are judged from then on). */
    limitsChanged: false,
  };
}

/** Lets every promise that can settle without time passing settle. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

function credentialOf(token: string): Credential {
  const [, , tokenId, secret] = token.split(".");
  return { token_id: tokenId as string, secret: secret as string };
}

function isSimulatedSendFailure(error: unknown): boolean {
  return error instanceof Error && error.message === "simulated queue send failure";
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error);
}

/** Keeps the object's log lines (the last 400) instead of printing them. */
function captureConsole(lines: string[]): () => void {
  const saved = { log: console.log, error: console.error, warn: console.warn };
  const keep = (...args: unknown[]) => {
    lines.push(args.map(String).join(" "));
    if (lines.length > 400) lines.shift();
  };
  console.log = keep;
  console.error = keep;
  console.warn = keep;
  return () => Object.assign(console, saved);
}
