/** /v1/jobs: create (single, batch, idempotent), list, read, change, cancel, pause, resume, trigger, preview. */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { commonErrors, problemDoc } from "../../contract/common";
import { TriggerInputSchema } from "../../contract/flow";
import {
  BatchInputSchema,
  type JobInput,
  JobInputSchema,
  JobListQuerySchema,
  JobPageSchema,
  JobPatchSchema,
  JobSchema,
  PreviewQuerySchema,
  PreviewSchema,
  type Target,
} from "../../contract/job";
import { RunSchema } from "../../contract/run";
import { LIMITS } from "../../domain/limits";
import { assertTargetAllowed } from "../../domain/targets";
import type { AppEnv } from "../auth";
import { validationHook } from "../problems";
import { tenantCall } from "../scheduler-call";
import { IdParam, json, jsonBody, tooLarge } from "./openapi";

const notFound = { 404: problemDoc("No such job for this tenant") };

/** Targets must be https: and public unless ALLOW_INSECURE_TARGETS is set (checked per request: it is config). */
export function checkTargets(
  env: Env,
  inputs: { target?: Target | undefined; tasks?: { target: Target }[] | undefined }[],
  pathOf: (i: number) => string,
): void {
  const allowInsecure = env.ALLOW_INSECURE_TARGETS === "true";
  inputs.forEach((input, i) => {
    if (input.target?.type === "http")
      assertTargetAllowed(input.target.url, allowInsecure, pathOf(i));
    input.tasks?.forEach((task, j) => {
      if (task.target.type === "http")
        assertTargetAllowed(
          task.target.url,
          allowInsecure,
          pathOf(i).replace(/target\.url$/, `tasks[${j}].target.url`),
        );
    });
  });
}

const createJob = createRoute({
  method: "post",
  path: "/",
  summary: "Create a job",
  middleware: [tooLarge(LIMITS.maxBodyBytes)] as const,
  request: {
    ...jsonBody(JobInputSchema),
    headers: z.object({
      "idempotency-key": z.string().min(1).max(LIMITS.idempotencyKeyMaxLength).optional().openapi({
        description: "Same key and body: the first job is returned; same key, other body: 409",
      }),
    }),
  },
  responses: {
    201: json(JobSchema, "Created"),
    200: json(JobSchema, "Replayed: the job created earlier with this Idempotency-Key"),
    409: problemDoc("Idempotency-Key reused with a different body"),
    413: problemDoc("Body too large"),
    ...commonErrors,
  },
});

const createBatch = createRoute({
  method: "post",
  path: "/batch",
  summary: `Create up to ${LIMITS.maxBatchJobs} jobs in one transaction (all or nothing)`,
  middleware: [tooLarge(LIMITS.maxBatchBodyBytes)] as const,
  request: jsonBody(BatchInputSchema),
  responses: {
    201: json(z.object({ data: z.array(JobSchema) }), "Created"),
    413: problemDoc("Body too large"),
    ...commonErrors,
  },
});

const listJobs = createRoute({
  method: "get",
  path: "/",
  summary: "List jobs in creation order",
  request: { query: JobListQuerySchema },
  responses: { 200: json(JobPageSchema, "A page of jobs"), ...commonErrors },
});

const getJob = createRoute({
  method: "get",
  path: "/{id}",
  summary: "Read a job (ETag is its version)",
  request: { params: IdParam },
  responses: { 200: json(JobSchema, "The job"), ...notFound, ...commonErrors },
});

const patchJob = createRoute({
  method: "patch",
  path: "/{id}",
  summary: "Change a job; If-Match makes it conditional",
  middleware: [tooLarge(LIMITS.maxBodyBytes)] as const,
  request: {
    params: IdParam,
    headers: z.object({ "if-match": z.string().max(200).optional() }),
    ...jsonBody(JobPatchSchema),
  },
  responses: {
    200: json(JobSchema, "The changed job"),
    409: problemDoc("The job is cancelled"),
    412: problemDoc("If-Match does not match the job's version"),
    ...notFound,
    ...commonErrors,
  },
});

const jobAction = (path: string, summary: string) =>
  createRoute({
    method: "post",
    path,
    summary,
    request: { params: IdParam },
    responses: {
      200: json(JobSchema, "The job"),
      409: problemDoc("The job is cancelled"),
      ...notFound,
      ...commonErrors,
    },
  });

const cancelJob = createRoute({
  method: "delete",
  path: "/{id}",
  summary: "Cancel a job: no further runs; pending and queued runs become cancelled",
  request: { params: IdParam },
  responses: { 200: json(JobSchema, "The cancelled job"), ...notFound, ...commonErrors },
});

const triggerJob = createRoute({
  method: "post",
  path: "/{id}/trigger",
  summary: "Run the job once now (optionally under another flow key)",
  request: {
    params: IdParam,
    body: { content: { "application/json": { schema: TriggerInputSchema } }, required: false },
  },
  responses: {
    202: json(RunSchema, "The new run"),
    409: problemDoc("The job is cancelled"),
    ...notFound,
    ...commonErrors,
  },
});

const previewJob = createRoute({
  method: "get",
  path: "/{id}/preview",
  summary: "The job's next fire times",
  request: { params: IdParam, query: PreviewQuerySchema },
  responses: { 200: json(PreviewSchema, "Fire times in UTC"), ...notFound, ...commonErrors },
});

const etag = (version: number) => `"${version}"`;

export function jobRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(createJob, async (c) => {
    const input = c.req.valid("json") as JobInput;
    checkTargets(c.env, [input], () => "target.url");
    const key = c.req.valid("header")["idempotency-key"] ?? null;
    const { job, replayed } = await tenantCall(c, "createJob", input, key);
    c.header("location", `/v1/jobs/${job.id}`);
    c.header("etag", etag(job.version));
    if (replayed) c.header("idempotent-replayed", "true");
    return c.json(job, replayed ? 200 : 201);
  });

  app.openapi(createBatch, async (c) => {
    const { jobs } = c.req.valid("json");
    checkTargets(c.env, jobs, (i) => `jobs[${i}].target.url`);
    const data = await tenantCall(c, "createJobs", jobs as JobInput[]);
    return c.json({ data }, 201);
  });

  app.openapi(listJobs, async (c) =>
    c.json(await tenantCall(c, "listJobs", c.req.valid("query")), 200),
  );

  app.openapi(getJob, async (c) => {
    const job = await tenantCall(c, "getJob", c.req.valid("param").id);
    c.header("etag", etag(job.version));
    return c.json(job, 200);
  });

  app.openapi(patchJob, async (c) => {
    const patch = c.req.valid("json");
    checkTargets(c.env, [patch], () => "target.url");
    const ifMatch = c.req.valid("header")["if-match"] ?? null;
    const job = await tenantCall(c, "updateJob", c.req.valid("param").id, patch, ifMatch);
    c.header("etag", etag(job.version));
    return c.json(job, 200);
  });

  app.openapi(cancelJob, async (c) =>
    c.json(await tenantCall(c, "cancelJob", c.req.valid("param").id), 200),
  );
  app.openapi(jobAction("/{id}/pause", "Pause a job: its waiting runs are held"), async (c) =>
    c.json(await tenantCall(c, "pauseJob", c.req.valid("param").id), 200),
  );
  app.openapi(
    jobAction("/{id}/resume", "Resume a paused job (catch-up window applies)"),
    async (c) => c.json(await tenantCall(c, "resumeJob", c.req.valid("param").id), 200),
  );
  app.openapi(triggerJob, async (c) => {
    const input = c.req.valid("json") ?? {};
    return c.json(await tenantCall(c, "triggerJob", c.req.valid("param").id, input), 202);
  });
  app.openapi(previewJob, async (c) => {
    const { count } = c.req.valid("query");
    return c.json(await tenantCall(c, "previewJob", c.req.valid("param").id, count), 200);
  });

  return app;
}
