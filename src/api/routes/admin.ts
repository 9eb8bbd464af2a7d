/** /v1/admin: tenants and their tokens. Guarded by ADMIN_TOKEN; tenant tokens never pass. */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { problemDoc } from "../../contract/common";
import {
  CreatedTenantSchema,
  IssuedTokenSchema,
  TenantIdSchema,
  TenantInputSchema,
  TenantListSchema,
  TenantPatchSchema,
  TenantSchema,
  TenantUsageSchema,
  TokenInputSchema,
} from "../../contract/tenant";
import { randomChars } from "../../domain/ids";
import { fail } from "../../domain/problem";
import { TIERS } from "../../domain/tiers";
import { type AppEnv, assertSigningKey } from "../auth";
import { validationHook } from "../problems";
import { adminCall } from "../scheduler-call";
import { json, jsonBody } from "./openapi";

const TenantParam = z.object({ id: TenantIdSchema.openapi({ param: { name: "id", in: "path" } }) });
const errors = {
  400: problemDoc("Invalid input"),
  401: problemDoc("Missing, unknown or revoked admin token"),
  404: problemDoc("No such tenant"),
};

const directory = (env: Env) =>
  env.TENANT_DIRECTORY.get(env.TENANT_DIRECTORY.idFromName("directory"));

const createTenant = createRoute({
  method: "post",
  path: "/tenants",
  summary: "Create a tenant; its token and signing secret are shown once",
  request: jsonBody(TenantInputSchema),
  responses: {
    201: json(CreatedTenantSchema, "Created"),
    409: problemDoc("The id is taken"),
    ...errors,
  },
});

const listTenants = createRoute({
  method: "get",
  path: "/tenants",
  summary: "List tenants by id",
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(200).default(50),
      cursor: z.string().max(64).optional(),
    }),
  },
  responses: { 200: json(TenantListSchema, "A page of tenants"), ...errors },
});

const getTenant = createRoute({
  method: "get",
  path: "/tenants/{id}",
  summary: "Read a tenant",
  request: { params: TenantParam },
  responses: { 200: json(TenantSchema, "The tenant"), ...errors },
});

const tenantUsage = createRoute({
  method: "get",
  path: "/tenants/{id}/usage",
  summary:
    "A tenant's load: jobs by status, runs in flight, waiting and dead, 429s in the last hour",
  request: { params: TenantParam },
  responses: { 200: json(TenantUsageSchema, "The tenant's usage"), ...errors },
});

const patchTenant = createRoute({
  method: "patch",
  path: "/tenants/{id}",
  summary: "Change a tenant's name, tier or suspension (effective on its next request)",
  request: { params: TenantParam, ...jsonBody(TenantPatchSchema) },
  responses: { 200: json(TenantSchema, "The tenant"), ...errors },
});

const issueToken = createRoute({
  method: "post",
  path: "/tenants/{id}/tokens",
  summary:
    "Issue a token (rotation: issue, switch, revoke the old one); a worker token may name its pools",
  request: { params: TenantParam, ...jsonBody(TokenInputSchema) },
  responses: { 201: json(IssuedTokenSchema, "The token, shown once"), ...errors },
});

const rotateSecret = createRoute({
  method: "post",
  path: "/tenants/{id}/signing-secret",
  summary: "Rotate the webhook signing secret; the old one keeps signing during the overlap",
  request: {
    params: TenantParam,
    ...jsonBody(
      z.strictObject({
        overlap_seconds: z
          .number()
          .int()
          .min(0)
          .max(30 * 24 * 3600)
          .default(24 * 3600)
          .openapi({
            description: "how long deliveries carry signatures with both secrets (default 1 day)",
          }),
      }),
    ),
  },
  responses: {
    201: json(
      z.object({ signing_secret: z.string(), previous_expires_at: z.string() }),
      "The new secret, shown once",
    ),
    ...errors,
  },
});

const revokeToken = createRoute({
  method: "delete",
  path: "/tenants/{id}/tokens/{token_id}",
  summary: "Revoke a token; it fails at once",
  request: {
    params: TenantParam.extend({
      token_id: z
        .string()
        .regex(/^[0-9a-z]{16}$/)
        .openapi({ param: { name: "token_id", in: "path" } }),
    }),
  },
  responses: { 204: { description: "Revoked" }, ...errors },
});

export function adminRoutes(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(createTenant, async (c) => {
    const input = c.req.valid("json");
    assertSigningKey(c.env); // a tenant comes with its first token
    const id = input.id ?? `t-${randomChars(12)}`;
    const now = new Date().toISOString();
    const entry = {
      id,
      name: input.name,
      tier: input.tier,
      suspended: false,
      max_in_flight: TIERS[input.tier].max_in_flight,
      default_flow_limits: null,
      created_at: now,
      updated_at: now,
    };
    // The directory reserves the id first, so two creations of one id cannot both succeed.
    if (!(await directory(c.env).reserve(entry)))
      throw fail.conflict(`Tenant ${id} already exists.`);
    try {
      const created = await adminCall(c.env, id, "initialize", {
        id,
        name: input.name,
        tier: input.tier,
      });
      const { token: _t, token_id: _i, signing_secret: _s, ...view } = created;
      await directory(c.env).upsert(view);
      c.header("location", `/v1/admin/tenants/${id}`);
      return c.json(created, 201);
    } catch (error) {
      await directory(c.env).release(id);
      throw error;
    }
  });

  app.openapi(listTenants, async (c) => {
    const { limit, cursor } = c.req.valid("query");
    return c.json(await directory(c.env).list(limit, cursor ?? null), 200);
  });

  app.openapi(getTenant, async (c) =>
    c.json(await adminCall(c.env, c.req.valid("param").id, "getTenant"), 200),
  );

  app.openapi(tenantUsage, async (c) =>
    c.json(await adminCall(c.env, c.req.valid("param").id, "getTenantUsage"), 200),
  );

  app.openapi(patchTenant, async (c) => {
    const tenant = await adminCall(
      c.env,
      c.req.valid("param").id,
      "updateTenant",
      c.req.valid("json"),
    );
    await directory(c.env).upsert(tenant);
    return c.json(tenant, 200);
  });

  app.openapi(issueToken, async (c) => {
    const { scope, pools } = c.req.valid("json");
    assertSigningKey(c.env);
    return c.json(
      await adminCall(c.env, c.req.valid("param").id, "issueToken", scope, pools ?? null),
      201,
    );
  });

  app.openapi(rotateSecret, async (c) => {
    const { overlap_seconds } = c.req.valid("json");
    return c.json(
      await adminCall(c.env, c.req.valid("param").id, "rotateSigningSecret", overlap_seconds),
      201,
    );
  });

  app.openapi(revokeToken, async (c) => {
    const { id, token_id } = c.req.valid("param");
    await adminCall(c.env, id, "revokeToken", token_id);
    return c.body(null, 204);
  });

  return app;
}
