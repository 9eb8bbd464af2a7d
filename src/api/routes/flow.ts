/**
 * /v1/flow-keys and /v1/destinations: a tenant's limits on a flow key (its customers, say) and on
 * a destination host, with what each uses now.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { commonErrors, problemDoc } from "../../contract/common";
import {
  DestinationHostSchema,
  DestinationPageSchema,
  DestinationViewSchema,
  FlowKeyPageSchema,
  FlowKeySchema,
  FlowKeyViewSchema,
  FlowLimitsSchema,
  FlowListQuerySchema,
} from "../../contract/flow";
import type { AppEnv } from "../auth";
import { validationHook } from "../problems";
import { tenantCall } from "../scheduler-call";
import { json, jsonBody } from "./openapi";

const KeyParam = z.object({
  key: FlowKeySchema.openapi({ param: { name: "key", in: "path" } }),
});
const HostParam = z.object({
  host: DestinationHostSchema.openapi({ param: { name: "host", in: "path" } }),
});
const noLimits = { 404: problemDoc("It has no limits of its own") };
const tooMany = { 409: problemDoc("The tenant keeps limits on 10,000 keys and destinations") };

const listKeys = createRoute({
  method: "get",
  path: "/flow-keys",
  tags: ["flow control"],
  summary: "Flow keys with limits of their own or runs now, by name, with their usage",
  request: { query: FlowListQuerySchema },
  responses: { 200: json(FlowKeyPageSchema, "A page of flow keys"), ...commonErrors },
});

const getKey = createRoute({
  method: "get",
  path: "/flow-keys/{key}",
  tags: ["flow control"],
  summary: "A flow key's limits (its own or the tenant's default) and what it uses now",
  request: { params: KeyParam },
  responses: { 200: json(FlowKeyViewSchema, "The flow key"), ...commonErrors },
});

const putKey = createRoute({
  method: "put",
  path: "/flow-keys/{key}",
  tags: ["flow control"],
  summary: "Set a flow key's limits; runs waiting for it are judged by them at once",
  request: { params: KeyParam, ...jsonBody(FlowLimitsSchema) },
  responses: { 200: json(FlowKeyViewSchema, "The flow key"), ...tooMany, ...commonErrors },
});

const deleteKey = createRoute({
  method: "delete",
  path: "/flow-keys/{key}",
  tags: ["flow control"],
  summary: "Remove a flow key's limits (the tenant's default, if any, applies again)",
  request: { params: KeyParam },
  responses: { 204: { description: "Removed" }, ...noLimits, ...commonErrors },
});

const listDestinations = createRoute({
  method: "get",
  path: "/destinations",
  tags: ["flow control"],
  summary: "Destination hosts with limits or runs in flight, by host, with their usage",
  request: { query: FlowListQuerySchema },
  responses: { 200: json(DestinationPageSchema, "A page of destinations"), ...commonErrors },
});

const getDestination = createRoute({
  method: "get",
  path: "/destinations/{host}",
  tags: ["flow control"],
  summary: "A destination host's limits and what the tenant sends it now",
  request: { params: HostParam },
  responses: { 200: json(DestinationViewSchema, "The destination"), ...commonErrors },
});

const putDestination = createRoute({
  method: "put",
  path: "/destinations/{host}",
  tags: ["flow control"],
  summary: "Limit what the tenant sends to one host, whatever the flow keys",
  request: { params: HostParam, ...jsonBody(FlowLimitsSchema) },
  responses: { 200: json(DestinationViewSchema, "The destination"), ...tooMany, ...commonErrors },
});

const deleteDestination = createRoute({
  method: "delete",
  path: "/destinations/{host}",
  tags: ["flow control"],
  summary: "Remove a destination's limits",
  request: { params: HostParam },
  responses: { 204: { description: "Removed" }, ...noLimits, ...commonErrors },
});

export function flowRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(listKeys, async (c) =>
    c.json(await tenantCall(c, "listFlowKeys", c.req.valid("query")), 200),
  );
  app.openapi(getKey, async (c) =>
    c.json(await tenantCall(c, "getFlowKey", c.req.valid("param").key), 200),
  );
  app.openapi(putKey, async (c) =>
    c.json(await tenantCall(c, "putFlowKey", c.req.valid("param").key, c.req.valid("json")), 200),
  );
  app.openapi(deleteKey, async (c) => {
    await tenantCall(c, "deleteFlowKey", c.req.valid("param").key);
    return c.body(null, 204);
  });
  app.openapi(listDestinations, async (c) =>
    c.json(await tenantCall(c, "listDestinations", c.req.valid("query")), 200),
  );
  app.openapi(getDestination, async (c) =>
    c.json(await tenantCall(c, "getDestination", c.req.valid("param").host), 200),
  );
  app.openapi(putDestination, async (c) =>
    c.json(
      await tenantCall(c, "putDestination", c.req.valid("param").host, c.req.valid("json")),
      200,
    ),
  );
  app.openapi(deleteDestination, async (c) => {
    await tenantCall(c, "deleteDestination", c.req.valid("param").host);
    return c.body(null, 204);
  });
  return app;
}
