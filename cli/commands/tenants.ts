/** tenants and tokens (admin token). */
import type {
  CreatedTenant,
  Tenant,
  TenantPatch,
  TenantUsage,
  TokenScope,
} from "../../src/client/index.ts";
import { args, type Command, choice, flag, int, list, PAGING, str } from "../command.ts";
import { limitOptions, limitsFromFlags, limitsText } from "../flow-limits.ts";
import { printList } from "../lists.ts";
import { type Column, fields, time, UsageError } from "../output.ts";

const TIERS = ["free", "standard", "premium"] as const;

const COLUMNS: Column<Tenant>[] = [
  ["ID", (t) => t.id],
  ["NAME", (t) => t.name],
  ["TIER", (t) => t.tier],
  ["SUSPENDED", (t) => (t.suspended ? "yes" : "no")],
  ["MAX IN FLIGHT", (t) => t.max_in_flight],
  ["CREATED", (t) => time(t.created_at)],
];

const showTenant = (t: Tenant) =>
  fields([
    ["id", t.id],
    ["name", t.name],
    ["tier", t.tier],
    ["suspended", t.suspended ? "yes" : "no"],
    ["max in flight", t.max_in_flight],
    ["default flow limits", limitsText(t.default_flow_limits)],
    ["created", time(t.created_at)],
    ["updated", time(t.updated_at)],
  ]);

const showUsage = (u: TenantUsage) =>
  fields([
    ["tenant", u.tenant_id],
    [
      "jobs",
      Object.entries(u.jobs)
        .map(([status, n]) => `${status} ${n}`)
        .join(", "),
    ],
    ["runs in flight", `${u.runs_in_flight} / ${u.max_in_flight}`],
    ["runs waiting", u.runs_waiting],
    ["dead letters", u.dead_letters],
    ["429s (last hour)", u.rate_limited_last_hour],
  ]);

export const tenantCommands: Command[] = [
  {
    name: "tenants create",
    summary: "create a tenant; prints its first token and signing secret (shown once)",
    auth: "admin",
    options: {
      name: { type: "string", value: "<name>", description: "display name (required)" },
      id: {
        type: "string",
        value: "<id>",
        description: "3 to 40 of a-z, 0-9, inner -; default generated",
      },
      tier: { type: "string", value: "<tier>", description: "free, standard (default), premium" },
    },
    async run(ctx) {
      const name = str(ctx.values, "name");
      if (!name) throw new UsageError("tenants create needs --name <name>");
      const tenant: CreatedTenant = await ctx.client.tenants.create({
        name,
        ...(str(ctx.values, "id") ? { id: str(ctx.values, "id") } : {}),
        ...(choice(ctx.values, "tier", TIERS) ? { tier: choice(ctx.values, "tier", TIERS) } : {}),
      });
      ctx.print(tenant, () =>
        [
          showTenant(tenant),
          "",
          fields([
            ["token", `${tenant.token}   (shown once)`],
            ["token id", tenant.token_id],
            ["signing secret", `${tenant.signing_secret}   (shown once)`],
          ]),
          "",
          "Use the tenant's token with the other commands:",
          `  export SCHEDULER_TOKEN='${tenant.token}'`,
        ].join("\n"),
      );
      return undefined;
    },
  },
  {
    name: "tenants list",
    summary: "list tenants by id",
    auth: "admin",
    options: PAGING,
    run: (ctx) =>
      printList(
        ctx,
        ctx.client.tenants.list({
          limit: int(ctx.values, "limit", { min: 1, max: 200 }),
          cursor: str(ctx.values, "cursor"),
        }),
        COLUMNS,
        "tenants",
      ),
  },
  {
    name: "tenants get",
    args: "<tenant-id>",
    summary: "show a tenant",
    auth: "admin",
    async run(ctx) {
      const [id] = args(ctx, ["tenant-id"]);
      const tenant = await ctx.client.tenants.get(id as string);
      ctx.print(tenant, () => showTenant(tenant));
      return undefined;
    },
  },
  {
    name: "tenants usage",
    args: "<tenant-id>",
    summary: "a tenant's load: jobs, runs in flight, waiting and dead, 429s in the last hour",
    auth: "admin",
    async run(ctx) {
      const [id] = args(ctx, ["tenant-id"]);
      const usage = await ctx.client.tenants.usage(id as string);
      ctx.print(usage, () => showUsage(usage));
      return undefined;
    },
  },
  {
    name: "tenants update",
    args: "<tenant-id>",
    summary: "change a tenant's name, tier, suspension, in-flight cap or default flow limits",
    help: [
      "Default flow limits apply to every flow key without limits of its own; the flags given",
      "replace the default as a whole (give every part you want):",
      "  tenants update acme --default-max-running 5 --default-rate 60/1m",
      "  tenants update acme --no-default-flow-limits",
    ].join("\n"),
    auth: "admin",
    options: {
      name: { type: "string", value: "<name>", description: "new display name" },
      tier: { type: "string", value: "<tier>", description: "free, standard, premium" },
      suspend: { type: "boolean", description: "refuse the tenant's requests and hold its runs" },
      resume: { type: "boolean", description: "lift a suspension" },
      "max-in-flight": {
        type: "string",
        value: "<n|tier>",
        description: "override runs in flight; `tier` restores the tier's value",
      },
      ...limitOptions("default-", "each flow key without limits of its own"),
      "no-default-flow-limits": {
        type: "boolean",
        description: "remove the default flow limits",
      },
    },
    async run(ctx) {
      const [id] = args(ctx, ["tenant-id"]);
      if (flag(ctx.values, "suspend") && flag(ctx.values, "resume"))
        throw new UsageError("give --suspend or --resume, not both");
      const cap = str(ctx.values, "max-in-flight");
      const defaults = limitsFromFlags(ctx.values, "default-");
      const noDefaults = flag(ctx.values, "no-default-flow-limits");
      if (defaults && noDefaults)
        throw new UsageError("give --default-... limits or --no-default-flow-limits, not both");
      const patch: TenantPatch = {
        ...(str(ctx.values, "name") ? { name: str(ctx.values, "name") } : {}),
        ...(choice(ctx.values, "tier", TIERS) ? { tier: choice(ctx.values, "tier", TIERS) } : {}),
        ...(flag(ctx.values, "suspend") ? { suspended: true } : {}),
        ...(flag(ctx.values, "resume") ? { suspended: false } : {}),
        ...(cap === undefined
          ? {}
          : { max_in_flight: cap === "tier" ? null : (int(ctx.values, "max-in-flight") ?? null) }),
        ...(defaults ? { default_flow_limits: defaults } : {}),
        ...(noDefaults ? { default_flow_limits: null } : {}),
      };
      if (Object.keys(patch).length === 0)
        throw new UsageError(
          "nothing to change: give --name, --tier, --suspend, --resume, --max-in-flight or --default-max-running/--default-rate",
        );
      const tenant = await ctx.client.tenants.update(id as string, patch);
      ctx.print(tenant, () => showTenant(tenant));
      return undefined;
    },
  },
  {
    name: "tenants rotate-secret",
    args: "<tenant-id>",
    summary: "new webhook signing secret; the old one keeps signing during the overlap",
    auth: "admin",
    options: {
      "overlap-seconds": {
        type: "string",
        value: "<seconds>",
        description: "how long deliveries carry both signatures (default 86400)",
      },
    },
    async run(ctx) {
      const [id] = args(ctx, ["tenant-id"]);
      const overlap = int(ctx.values, "overlap-seconds", { min: 0 });
      const rotated = await ctx.client.tenants.rotateSigningSecret(
        id as string,
        overlap === undefined ? {} : { overlap_seconds: overlap },
      );
      ctx.print(rotated, () =>
        fields([
          ["signing secret", `${rotated.signing_secret}   (shown once)`],
          ["old secret signs until", time(rotated.previous_expires_at)],
        ]),
      );
      return undefined;
    },
  },
  {
    name: "tokens issue",
    args: "<tenant-id>",
    summary: "issue a token for a tenant (shown once)",
    auth: "admin",
    options: {
      scope: {
        type: "string",
        value: "<scope>",
        description: "write (default), read, or worker (pull workers only); the API checks it",
      },
      pools: {
        type: "string",
        multiple: true,
        value: "<pool,...>",
        description:
          "worker tokens: the only pools the token may claim in (repeat or comma-separate); default every pool",
      },
    },
    async run(ctx) {
      const [id] = args(ctx, ["tenant-id"]);
      const pools = list(ctx.values, "pools")
        .flatMap((p) => p.split(","))
        .map((p) => p.trim())
        .filter(Boolean);
      // Scope and pools are passed through: the API names what is wrong in its 400 (`scope`, `pools`).
      const token = await ctx.client.tokens.issue(id as string, {
        scope: (str(ctx.values, "scope") ?? "write") as TokenScope,
        ...(pools.length ? { pools } : {}),
      });
      ctx.print(token, () =>
        fields([
          ["token", `${token.token}   (shown once)`],
          ["token id", token.id],
          ["scope", token.scope],
          ...(token.pools ? [["pools", token.pools.join(", ")] as [string, string]] : []),
          ["created", time(token.created_at)],
        ]),
      );
      return undefined;
    },
  },
  {
    name: "tokens revoke",
    args: "<tenant-id> <token-id>",
    summary: "revoke a token; it fails at once",
    auth: "admin",
    async run(ctx) {
      const [tenantId, tokenId] = args(ctx, ["tenant-id", "token-id"]);
      await ctx.client.tokens.revoke(tenantId as string, tokenId as string);
      ctx.print({ revoked: tokenId }, `revoked ${tokenId}`);
      return undefined;
    },
  },
];
