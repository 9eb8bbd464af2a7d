/** Tenants and tokens on the wire (admin API). */
import { z } from "@hono/zod-openapi";
import { LIMITS } from "../domain/limits";
import { TIER_NAMES } from "../domain/tiers";
import { Timestamp } from "./common";
import { FlowLimitsSchema } from "./flow";
import { displayText } from "./text";
import { PoolName } from "./worker";

export const TenantIdSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$/,
    "3 to 40 characters: lowercase letters, digits and inner hyphens",
  )
  .openapi({ example: "acme-prod" });

export const TenantInputSchema = z
  .strictObject({
    id: TenantIdSchema.optional(),
    name: displayText(200),
    tier: z.enum(TIER_NAMES).default("standard"),
  })
  .openapi("TenantInput");
export type TenantInput = z.infer<typeof TenantInputSchema>;

export const TenantPatchSchema = z
  .strictObject({
    name: displayText(200).optional(),
    tier: z.enum(TIER_NAMES).optional(),
    suspended: z.boolean().optional(),
    max_in_flight: z.number().int().min(1).max(10_000).nullable().optional().openapi({
      description: "overrides the tier's max runs in flight; null restores the tier's value",
    }),
    default_flow_limits: FlowLimitsSchema.nullable().optional().openapi({
      description: "limits for flow keys without their own; null removes them",
    }),
  })
  .openapi("TenantPatch");
export type TenantPatch = z.infer<typeof TenantPatchSchema>;

export const TenantSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    tier: z.enum(TIER_NAMES),
    suspended: z.boolean(),
    max_in_flight: z
      .number()
      .int()
      .openapi({ description: "runs queued or running at once (tier or override)" }),
    default_flow_limits: FlowLimitsSchema.nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Tenant");
export type TenantView = z.infer<typeof TenantSchema>;

/** `read`: GET routes; `write`: everything; `worker`: the pull-worker routes only. */
export const TOKEN_SCOPES = ["read", "write", "worker"] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** The pools a worker token may claim, report and drain in; absent: every pool of the tenant. */
const TokenPools = z
  .array(PoolName)
  .min(1)
  .max(LIMITS.maxWorkerPools)
  .refine((pools) => new Set(pools).size === pools.length, "a pool is named twice");

export const TokenInputSchema = z
  .strictObject({
    scope: z.enum(TOKEN_SCOPES).default("write"),
    pools: TokenPools.optional().openapi({
      description:
        "worker tokens only: the pools the token serves (claims of other pools are 403); absent: every pool",
      example: ["video"],
    }),
  })
  .superRefine((input, ctx) => {
    if (input.pools !== undefined && input.scope !== "worker")
      ctx.addIssue({
        code: "custom",
        path: ["pools"],
        message: `only worker tokens name pools (this token's scope is ${input.scope})`,
      });
  })
  .openapi("TokenInput");
export type TokenInput = z.infer<typeof TokenInputSchema>;

export const IssuedTokenSchema = z
  .object({
    id: z.string(),
    scope: z.enum(TOKEN_SCOPES),
    pools: z
      .array(z.string())
      .nullable()
      .openapi({ description: "the pools a worker token is limited to; null: every pool" }),
    token: z.string().openapi({ description: "shown once; only its SHA-256 hash is stored" }),
    created_at: Timestamp,
  })
  .openapi("IssuedToken");
export type IssuedToken = z.infer<typeof IssuedTokenSchema>;

export const CreatedTenantSchema = TenantSchema.extend({
  token: z.string().openapi({ description: "a write token; shown once" }),
  token_id: z.string(),
  signing_secret: z
    .string()
    .openapi({ description: "`whsec_` webhook signing secret; shown once" }),
}).openapi("CreatedTenant");
export type CreatedTenant = z.infer<typeof CreatedTenantSchema>;

export const TenantListSchema = z
  .object({ data: z.array(TenantSchema), next_cursor: z.string().nullable() })
  .openapi("TenantPage");

/** What an operator sees of a tenant's load (`GET /v1/admin/tenants/:id/usage`). */
export const TenantUsageSchema = z
  .object({
    tenant_id: z.string(),
    jobs: z.record(z.string(), z.number().int()).openapi({
      description: "jobs by status",
      example: { active: 12, paused: 1, completed: 40, cancelled: 0 },
    }),
    runs_in_flight: z.number().int(),
    max_in_flight: z.number().int(),
    runs_waiting: z.number().int().openapi({ description: "runs pending or retrying" }),
    dead_letters: z.number().int(),
    rate_limited_last_hour: z
      .number()
      .int()
      .openapi({ description: "requests answered 429 in the last hour" }),
  })
  .openapi("TenantUsage");
export type TenantUsage = z.infer<typeof TenantUsageSchema>;
