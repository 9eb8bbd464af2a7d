/**
 * Why a run that is due has not started, as the run's readers see it (`waiting_reason`): computed
 * when the run is read, from the limits and usage at that moment, so a waiting run writes nothing
 * to say why it waits.
 */
import type { WAITING_REASONS } from "../../contract/flow";
import type { RunRow } from "../storage/schema";
import type { FlowAdmission } from "./flow-admission";

export type WaitingReason = (typeof WAITING_REASONS)[number];

export class WaitingReasons {
  constructor(
    private readonly admission: FlowAdmission,
    /** How many more runs the tenant's in-flight cap allows now. */
    private readonly capacityLeft: () => number,
  ) {}

  /** What holds `run` at `now`: null unless it is due (pending or retrying, its time come). */
  of(run: RunRow, now: number): WaitingReason | null {
    const due =
      (run.status === "pending" || run.status === "retrying") &&
      run.dispatchAt !== null &&
      run.dispatchAt <= now;
    if (!due) return null;
    return this.admission.blockedBy(run, now) ?? (this.capacityLeft() <= 0 ? "tenant_cap" : null);
  }
}
