/** Run history: per job and per tenant, one run with its attempts, cancel, replay, dead letters. */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { commonErrors, problemDoc } from "../../contract/common";
import { RunDetailSchema, RunListQuerySchema, RunPageSchema, RunSchema } from "../../contract/run";
import type { AppEnv } from "../auth";
import { validationHook } from "../problems";
import { tenantCall } from "../scheduler-call";
import { IdParam, json } from "./openapi";

const notFound = { 404: problemDoc("No such run (or job) for this tenant") };
const conflict = { 409: problemDoc("The run is not in a state that allows this") };

const listJobRuns = createRoute({
  method: "get",
  path: "/jobs/{id}/runs",
  summary: "A job's runs, newest first",
  request: { params: IdParam, query: RunListQuerySchema.omit({ job_id: true }) },
  responses: { 200: json(RunPageSchema, "A page of runs"), ...notFound, ...commonErrors },
});

const listRuns = createRoute({
  method: "get",
  path: "/runs",
  summary: "The tenant's runs, newest first, filtered",
  request: { query: RunListQuerySchema },
  responses: { 200: json(RunPageSchema, "A page of runs"), ...commonErrors },
});

const getRun = createRoute({
  method: "get",
  path: "/runs/{id}",
  summary: "One run with every attempt and its fire lag",
  request: { params: IdParam },
  responses: { 200: json(RunDetailSchema, "The run"), ...notFound, ...commonErrors },
});

const runAction = (path: string, summary: string) =>
  createRoute({
    method: "post",
    path,
    summary,
    request: { params: IdParam },
    responses: { 200: json(RunSchema, "The run"), ...conflict, ...notFound, ...commonErrors },
  });

const deadLetters = createRoute({
  method: "get",
  path: "/dead-letters",
  summary: "Runs that exhausted their attempts (status dead), newest first",
  request: { query: RunListQuerySchema.omit({ status: true }) },
  responses: { 200: json(RunPageSchema, "A page of dead runs"), ...commonErrors },
});

export function runRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(listJobRuns, async (c) =>
    c.json(await tenantCall(c, "listJobRuns", c.req.valid("param").id, c.req.valid("query")), 200),
  );
  app.openapi(listRuns, async (c) =>
    c.json(await tenantCall(c, "listRuns", c.req.valid("query")), 200),
  );
  app.openapi(getRun, async (c) =>
    c.json(await tenantCall(c, "getRun", c.req.valid("param").id), 200),
  );
  app.openapi(runAction("/runs/{id}/cancel", "Cancel an unfinished run"), async (c) =>
    c.json(await tenantCall(c, "cancelRun", c.req.valid("param").id), 200),
  );
  app.openapi(
    runAction("/runs/{id}/replay", "Run a dead run again with a fresh attempt budget"),
    async (c) => c.json(await tenantCall(c, "replayRun", c.req.valid("param").id), 200),
  );
  app.openapi(deadLetters, async (c) =>
    c.json(await tenantCall(c, "listRuns", { ...c.req.valid("query"), status: "dead" }), 200),
  );
  return app;
}
