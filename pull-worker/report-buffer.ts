/**
 * The reports of a worker's finished attempts, held briefly so that many go in one request: the
 * next claim carries them (`reports` of `POST /v1/workers/claim`), or, when no claim goes out
 * within the linger, one `POST /v1/workers/{id}/reports` sends them together. Each report's
 * promise settles with the scheduler's answer for it.
 */

/** One attempt's outcome as the scheduler takes it. */
export type ReportItem =
  | { kind: "complete"; run_id: string; attempt: number; result?: unknown }
  | { kind: "fail"; run_id: string; attempt: number; error: string; retryable: boolean };

/** The scheduler's answer for one report (a refused request gives every item its problem). */
export interface ReportResult {
  run_id: string;
  attempt: number;
  recorded: boolean;
  run_status: string | null;
  problem: { status?: number; title?: string; detail?: string; errors?: unknown[] } | null;
}

/** Reports in one request: the scheduler's limit. */
export const MAX_REPORTS_PER_REQUEST = 100;

interface Pending {
  item: ReportItem;
  /** Not to be carried by a claim again (a claim carrying it was refused as a whole). */
  batchOnly: boolean;
  resolve: (result: ReportResult) => void;
  reject: (error: unknown) => void;
}

export class ReportBuffer {
  private pending: Pending[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  /** How long a report may wait for a claim to carry it before it is sent in a batch of its own. */
  private readonly lingerMs: number;
  /** Sends one batch; answers each item in order, or throws (network, transient failures). */
  private readonly sendBatch: (items: ReportItem[]) => Promise<ReportResult[]>;

  constructor(lingerMs: number, sendBatch: (items: ReportItem[]) => Promise<ReportResult[]>) {
    this.lingerMs = lingerMs;
    this.sendBatch = sendBatch;
  }

  /** Queues a report; resolves with the scheduler's answer for it. */
  add(item: ReportItem): Promise<ReportResult> {
    if (this.closed) return Promise.reject(new Error("the worker stopped"));
    return new Promise((resolve, reject) => {
      this.pending.push({ item, batchOnly: false, resolve, reject });
      this.arm();
    });
  }

  /** Up to 100 reports for a claim to carry (taken out of the buffer). */
  takeForClaim(): Pending[] {
    const taken: Pending[] = [];
    const kept: Pending[] = [];
    for (const p of this.pending) {
      if (!p.batchOnly && taken.length < MAX_REPORTS_PER_REQUEST) taken.push(p);
      else kept.push(p);
    }
    this.pending = kept;
    if (!kept.length) this.disarm();
    return taken;
  }

  /** The claim answered: each carried report gets its answer (missing ones are sent again). */
  answered(carried: Pending[], results: readonly ReportResult[] | undefined): void {
    const unanswered: Pending[] = [];
    carried.forEach((p, i) => {
      const result = results?.[i];
      if (result && result.run_id === p.item.run_id) p.resolve(result);
      else unanswered.push(p);
    });
    this.giveBack(unanswered, true);
  }

  /**
   * The claim carrying them failed: they go again (a report is idempotent per attempt), by a
   * batch of their own when the claim was refused as a whole (`batchOnly`).
   */
  giveBack(carried: Pending[], batchOnly: boolean): void {
    if (!carried.length) return;
    for (const p of carried) p.batchOnly ||= batchOnly;
    this.pending.unshift(...carried);
    this.arm();
  }

  /** Sends what is buffered now (draining: nothing will claim any more). */
  flushNow(): void {
    this.disarm();
    void this.flush();
  }

  /** Reports not answered yet are given up (the worker stopped): their leases expire. */
  close(): void {
    this.closed = true;
    this.disarm();
    const dropped = this.pending;
    this.pending = [];
    for (const p of dropped) p.reject(new Error("the worker stopped"));
  }

  get size(): number {
    return this.pending.length;
  }

  private arm(): void {
    if (this.timer || this.closed || !this.pending.length) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.lingerMs);
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async flush(): Promise<void> {
    while (this.pending.length && !this.closed) {
      const batch = this.pending.splice(0, MAX_REPORTS_PER_REQUEST);
      void this.sendOne(batch);
    }
  }

  private async sendOne(batch: Pending[]): Promise<void> {
    try {
      const results = await this.sendBatch(batch.map((p) => p.item));
      batch.forEach((p, i) => {
        const result = results[i];
        if (result) p.resolve(result);
        else p.reject(new Error("the scheduler did not answer this report"));
      });
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }
}
