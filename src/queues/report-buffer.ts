/**
 * Attempt results on their way to a tenant's object, shared by the consumer invocations of one
 * isolate. Batches of six would cost a busy tenant's object a report call per six runs; here a
 * tenant gets at most one report call per REPORT_SPACING_MS from an isolate: the first results go
 * at once, results that finish within the spacing after a report gather and go together. No
 * invocation awaits another's I/O: one whose results join a report already scheduled just ends,
 * and the scheduling invocation's call carries them (if that call is lost, the runs' leases retry
 * them, as for any lost report).
 */
import type { AttemptResult } from "./messages";

/** At most one report call per tenant and isolate in this time. */
export const REPORT_SPACING_MS = 50;
/** A report carries at most this many results; a full one is sent at once. */
export const REPORT_LIMIT = 100;
/** Tenants remembered before idle ones are forgotten. */
const REMEMBERED_TENANTS = 1000;

type Send = (results: AttemptResult[]) => Promise<void>;

interface TenantReports {
  gathered: AttemptResult[];
  /** An invocation waits to send what gathers. */
  scheduled: boolean;
  lastSentAt: number;
}

export class ReportBuffer {
  private readonly tenants = new Map<string, TenantReports>();

  /**
   * Hands over a tenant's results. Resolves once they are sent when this call sends them (the
   * caller's invocation stays alive until then), at once when they joined a scheduled report.
   */
  async add(tenantId: string, results: AttemptResult[], send: Send): Promise<void> {
    const state = this.stateOf(tenantId);
    state.gathered.push(...results);
    if (state.scheduled && state.gathered.length < REPORT_LIMIT) return;
    if (!state.scheduled) {
      const wait = state.lastSentAt + REPORT_SPACING_MS - Date.now();
      if (wait > 0 && state.gathered.length < REPORT_LIMIT) {
        state.scheduled = true;
        await new Promise((resolve) => setTimeout(resolve, wait));
        state.scheduled = false;
      }
    }
    const batch = state.gathered.splice(0, state.gathered.length);
    if (batch.length === 0) return;
    state.lastSentAt = Date.now();
    await send(batch);
  }

  private stateOf(tenantId: string): TenantReports {
    let state = this.tenants.get(tenantId);
    if (!state) {
      if (this.tenants.size >= REMEMBERED_TENANTS) this.forgetIdle();
      state = { gathered: [], scheduled: false, lastSentAt: Number.NEGATIVE_INFINITY };
      this.tenants.set(tenantId, state);
    }
    return state;
  }

  private forgetIdle(): void {
    const idleBefore = Date.now() - REPORT_SPACING_MS;
    for (const [tenantId, state] of this.tenants) {
      if (!state.scheduled && state.gathered.length === 0 && state.lastSentAt < idleBefore)
        this.tenants.delete(tenantId);
    }
  }
}
