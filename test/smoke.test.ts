import { describe, expect, it } from "vitest";
import { callJson, createJob, createTenant, deliveriesAt, waitFor } from "./support/api";

describe("smoke", () => {
  it("creates a tenant and a job and delivers it", async () => {
    const tenant = await createTenant();
    const job = await createJob(tenant);
    expect(job.status).toBe("active");
    const got = await callJson<Record<string, any>>(
      `/v1/jobs/${job.id}`,
      { token: tenant.token },
      200,
    );
    expect(got.id).toBe(job.id);
    const deliveries = await waitFor(async () => {
      const d = await deliveriesAt(job.target.url);
      return d.length > 0 && d;
    }, "a delivery");
    expect(deliveries[0]?.headers["webhook-id"]).toBeTruthy();
  });
});
