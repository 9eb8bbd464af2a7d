/** workers: the tenant's pull workers (tenant token). The worker program itself is pull-worker/. */
import type { Worker } from "../../src/client/index.ts";
import { CONCURRENCY, type Command, ids } from "../command.ts";
import { bulk } from "../lists.ts";
import { type Column, table, time } from "../output.ts";

const COLUMNS: Column<Worker>[] = [
  ["ID", (w) => w.id],
  ["STATE", (w) => w.state],
  ["POOLS", (w) => w.pools.join(",")],
  ["RUNS IN FLIGHT", (w) => w.runs_in_flight],
  ["LAST SEEN", (w) => time(w.last_seen_at)],
  ["CREATED", (w) => time(w.created_at)],
];

export const workerCommands: Command[] = [
  {
    name: "workers list",
    summary: "the tenant's pull workers: state (active, draining, stale), pools, runs in flight",
    auth: "tenant",
    async run(ctx) {
      const workers = await ctx.client.workers.list();
      ctx.print({ data: workers }, () => (workers.length ? table(workers, COLUMNS) : "no workers"));
      return undefined;
    },
  },
  {
    name: "workers drain",
    args: "<worker-id>...",
    summary: "give workers no more runs (for good); their runs in flight finish",
    auth: "tenant",
    options: CONCURRENCY,
    run: (ctx) =>
      bulk(
        ctx,
        ids(ctx, "worker id"),
        "draining workers",
        (id) => ctx.client.workers.drain(id),
        (w) => `${w.id}  ${w.state}  ${w.runs_in_flight} runs in flight`,
      ),
  },
];
