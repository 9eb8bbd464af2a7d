/**
 * Bound in place of the run queues (wrangler.toml beside this file): the object's `send` and
 * `sendBatch` calls arrive here as RPC, as they would leave for a queue, and the messages go to
 * the driver's mailbox of their tenant.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import type { RunMessage } from "../../src/queues/messages";
import { mailbox } from "./captured";

export class CaptureQueue extends WorkerEntrypoint {
  async send(body: RunMessage): Promise<void> {
    mailbox(body.tenant_id).put([body]);
  }

  async sendBatch(messages: { body: RunMessage }[]): Promise<void> {
    // One round sends one tenant's messages (run-queues.ts); grouped all the same.
    const byTenant = new Map<string, RunMessage[]>();
    for (const { body } of messages) {
      const list = byTenant.get(body.tenant_id);
      if (list) list.push(body);
      else byTenant.set(body.tenant_id, [body]);
    }
    for (const [tenantId, list] of byTenant) mailbox(tenantId).put(list);
  }
}
