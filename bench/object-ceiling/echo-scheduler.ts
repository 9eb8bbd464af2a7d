/**
 * W12's calibration object: answers `claimRuns` and `reportResults` as TenantScheduler does, in
 * shape and size, without doing any work. The driver's loop against it costs what the driver and
 * the RPC transport cost, which W12 subtracts to get the CPU spent inside the real object.
 */
import { DurableObject } from "cloudflare:workers";
import type { HttpTarget } from "../../src/contract/job";
import type { AttemptResult, ClaimRequest, ClaimResponse } from "../../src/queues/messages";

/** What the real object answers for W12's jobs (driver.ts creates them with this target). */
export const W12_TARGET: HttpTarget = {
  type: "http",
  url: "https://example.com/w12",
  method: "POST",
  headers: {},
  body: { bench: "w12" },
};

export class EchoScheduler extends DurableObject {
  async claimRuns(claims: ClaimRequest[], _workerId: string | null): Promise<ClaimResponse> {
    const now = Date.now();
    return {
      claimed: claims.map((c) => ({
        run_id: c.run_id,
        job_id: `job-${c.run_id}`,
        attempt: c.attempt,
        scheduled_for: now,
        priority: "medium",
        claimed_at: now,
        target: W12_TARGET,
        timeout_seconds: 30,
      })),
      signing_secrets: ["whsec_echoechoechoechoechoechoechoecho"],
    };
  }

  async reportResults(_results: AttemptResult[]): Promise<void> {}
}
