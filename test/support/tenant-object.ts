/** Direct access to a tenant's object for tests that simulate time passing or a dead consumer. */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";

export function schedulerStub(tenantId: string) {
  return env.TENANT_SCHEDULER.get(env.TENANT_SCHEDULER.idFromName(tenantId));
}

/** Runs SQL inside the tenant's object (to move stored times into the past). */
export function sqlIn(
  tenantId: string,
  query: string,
  ...bindings: unknown[]
): Promise<Record<string, unknown>[]> {
  return runInDurableObject(schedulerStub(tenantId), (_instance, state) =>
    state.storage.sql.exec(query, ...bindings).toArray(),
  );
}

/** Fires the tenant's alarm now, as if its time had come. */
export function fireAlarm(tenantId: string): Promise<boolean> {
  return runDurableObjectAlarm(schedulerStub(tenantId));
}
