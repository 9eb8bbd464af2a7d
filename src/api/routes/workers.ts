/**
 * Pull workers: claim runs (long poll, carrying reports), heartbeat (per run or for all of a
 * worker's runs), complete, fail, report many at once, drain, and the worker list. Tokens of scope
 * `worker` reach only these routes (and `write` tokens too).
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { commonErrors, problemDoc } from "../../contract/common";
import { jsonByteLength } from "../../contract/json";
import { RunSchema } from "../../contract/run";
import {
  ClaimAnswerSchema,
  ClaimInputSchema,
  CompleteInputSchema,
  FailInputSchema,
  HeartbeatInputSchema,
  LeaseAnswerSchema,
  WorkerHeartbeatAnswerSchema,
  WorkerHeartbeatInputSchema,
  WorkerId,
  WorkerPageSchema,
  WorkerSchema,
} from "../../contract/worker";
import {
  type ReportItem,
  ReportsAnswerSchema,
  ReportsInputSchema,
} from "../../contract/worker-reports";
import { LIMITS } from "../../domain/limits";
import { ProblemError, problem } from "../../domain/problem";
import type { AppEnv } from "../auth";
import { validationHook } from "../problems";
import { tenantCall } from "../scheduler-call";
import { IdParam, json, jsonBody, tooLarge } from "./openapi";

const notCurrent = {
  409: problemDoc("The attempt is not current (expired, retried, cancelled) or not this worker's"),
};
const notFound = { 404: problemDoc("No such run or worker for this tenant") };
const oversized = { 413: problemDoc("The checkpoint or result is over 64 KiB") };
const WorkerParam = z.object({ id: WorkerId.openapi({ param: { name: "id", in: "path" } }) });

const claim = createRoute({
  method: "post",
  path: "/workers/claim",
  summary:
    "Claim ready runs of some pools, after recording the reports the claim carries; with wait_seconds, wait for runs (long poll)",
  // A claim may carry up to 100 reports, each with a result of up to 64 KiB.
  middleware: [tooLarge(LIMITS.maxBatchBodyBytes)] as const,
  request: jsonBody(ClaimInputSchema),
  responses: {
    200: json(ClaimAnswerSchema, "The runs now this worker's, and an answer per report"),
    ...oversized,
    ...commonErrors,
  },
});

const reportMany = createRoute({
  method: "post",
  path: "/workers/{id}/reports",
  summary:
    "Report the outcomes of several attempts at once (at most 100); each is recorded or refused on its own",
  middleware: [tooLarge(LIMITS.maxBatchBodyBytes)] as const,
  request: { params: WorkerParam, ...jsonBody(ReportsInputSchema) },
  responses: {
    200: json(ReportsAnswerSchema, "An answer per report, in order"),
    ...oversized,
    ...commonErrors,
  },
});

const heartbeatRun = createRoute({
  method: "post",
  path: "/runs/{id}/heartbeat",
  summary: "Keep an attempt alive; save a checkpoint or progress; learn whether to stop",
  middleware: [tooLarge(LIMITS.maxBodyBytes)] as const,
  request: { params: IdParam, ...jsonBody(HeartbeatInputSchema) },
  responses: {
    200: json(LeaseAnswerSchema, "The renewed lease"),
    ...notCurrent,
    ...notFound,
    ...oversized,
    ...commonErrors,
  },
});

const heartbeatWorker = createRoute({
  method: "post",
  path: "/workers/{id}/heartbeat",
  summary: "Keep the attempts a worker names alive; answers for each, with cancel flags",
  middleware: [tooLarge(LIMITS.maxBodyBytes)] as const,
  request: {
    params: WorkerParam,
    body: {
      content: { "application/json": { schema: WorkerHeartbeatInputSchema } },
      required: false,
    },
  },
  responses: {
    200: json(WorkerHeartbeatAnswerSchema, "The leases"),
    ...oversized,
    ...commonErrors,
  },
});

const report = <S extends z.ZodType>(path: string, summary: string, schema: S) =>
  createRoute({
    method: "post",
    path,
    summary,
    middleware: [tooLarge(LIMITS.maxBodyBytes)] as const,
    request: { params: IdParam, ...jsonBody(schema) },
    responses: {
      200: json(RunSchema, "The run after the report"),
      ...notCurrent,
      ...notFound,
      ...oversized,
      ...commonErrors,
    },
  });

const complete = report(
  "/runs/{id}/complete",
  "Report success (idempotent per attempt)",
  CompleteInputSchema,
);
const failRun = report(
  "/runs/{id}/fail",
  "Report failure: retried with backoff unless retryable is false (idempotent per attempt)",
  FailInputSchema,
);

const drain = createRoute({
  method: "post",
  path: "/workers/{id}/drain",
  summary: "Give a worker no new runs; its runs in flight finish",
  request: { params: WorkerParam },
  responses: { 200: json(WorkerSchema, "The worker"), ...notFound, ...commonErrors },
});

const list = createRoute({
  method: "get",
  path: "/workers",
  summary: "Workers with pools, last heartbeat, state and runs in flight",
  responses: { 200: json(WorkerPageSchema, "Every worker of the tenant"), ...commonErrors },
});

/** 413 naming the field when a checkpoint or result is over its limit. */
function assertFits(field: string, value: unknown, max: number): void {
  if (value === undefined || jsonByteLength(value) <= max) return;
  const message = `at most ${max} bytes once serialised`;
  throw new ProblemError(problem(413, `${field}: ${message}`, [{ path: field, message }]));
}

/** 413 naming `reports[i].result` when a batched result is over its limit (nothing is recorded). */
function assertReportsFit(reports: readonly ReportItem[] | undefined): void {
  for (const [i, item] of (reports ?? []).entries()) {
    if (item.kind === "complete")
      assertFits(`reports[${i}].result`, item.result, LIMITS.maxResultBytes);
  }
}

export function workerRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(claim, async (c) => {
    // A long poll is served only while its client is still connected (enable_request_signal
    // makes the signal fire when the client goes away): the object asks before handing out runs.
    const signal = c.req.raw.signal;
    const connected = () => !signal.aborted;
    const input = c.req.valid("json");
    assertReportsFit(input.reports);
    return c.json(await tenantCall(c, "claimForWorker", input, connected), 200);
  });
  app.openapi(reportMany, async (c) => {
    const { reports } = c.req.valid("json");
    assertReportsFit(reports);
    const answers = await tenantCall(c, "reportRuns", c.req.valid("param").id, reports);
    return c.json({ reports: answers }, 200);
  });
  app.openapi(heartbeatRun, async (c) => {
    const input = c.req.valid("json");
    assertFits("checkpoint", input.checkpoint, LIMITS.maxCheckpointBytes);
    return c.json(await tenantCall(c, "heartbeatRun", c.req.valid("param").id, input), 200);
  });
  app.openapi(heartbeatWorker, async (c) => {
    const held = c.req.valid("json")?.runs ?? [];
    for (const [i, item] of held.entries()) {
      assertFits(`runs[${i}].checkpoint`, item.checkpoint, LIMITS.maxCheckpointBytes);
    }
    const runs = await tenantCall(c, "heartbeatWorker", c.req.valid("param").id, held);
    return c.json({ runs }, 200);
  });
  app.openapi(complete, async (c) => {
    const input = c.req.valid("json");
    assertFits("result", input.result, LIMITS.maxResultBytes);
    return c.json(await tenantCall(c, "completeRun", c.req.valid("param").id, input), 200);
  });
  app.openapi(failRun, async (c) => {
    return c.json(
      await tenantCall(c, "failRun", c.req.valid("param").id, c.req.valid("json")),
      200,
    );
  });
  app.openapi(drain, async (c) =>
    c.json(await tenantCall(c, "drainWorker", c.req.valid("param").id), 200),
  );
  app.openapi(list, async (c) => c.json({ data: await tenantCall(c, "listWorkers") }, 200));
  return app;
}
