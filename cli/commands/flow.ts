/** flow-keys and destinations: limits per flow key and per destination host (tenant token). */
import type { Destination, FlowKey, FlowLimits, Paginated } from "../../src/client/index.ts";
import { args, type Command, type Context, int, PAGING, str } from "../command.ts";
import {
  limitOptions,
  limitsFromFlags,
  limitsSource,
  limitsText,
  runningText,
  tokensText,
} from "../flow-limits.ts";
import { printList } from "../lists.ts";
import { type Column, fields, UsageError } from "../output.ts";

type Usage = FlowKey | Destination;

/** What differs between the two nouns: the name's word, and the client's group. */
interface FlowNoun<T extends Usage> {
  noun: "flow-keys" | "destinations";
  /** `key`, `host`: the positional argument and the name's field. */
  arg: "key" | "host";
  what: string;
  nameOf(usage: T): string;
  api(ctx: Context): {
    list(query: { limit?: number; cursor?: string }): Paginated<T>;
    get(name: string): Promise<T>;
    set(name: string, limits: FlowLimits): Promise<T>;
    delete(name: string): Promise<void>;
  };
  /** A flow key's runs waiting; a destination has no such count. */
  waiting: boolean;
  help: string;
}

function columns<T extends Usage>(noun: FlowNoun<T>): Column<T>[] {
  return [
    [noun.arg.toUpperCase(), (u) => noun.nameOf(u)],
    ["LIMITS", (u) => limitsText(u.limits)],
    ["FROM", (u) => limitsSource(u)],
    ["RUNNING", (u) => runningText(u)],
    ...(noun.waiting ? ([["WAITING", (u) => u.waiting]] as Column<T>[]) : []),
    ["RATE TOKENS", (u) => tokensText(u)],
  ];
}

function show<T extends Usage>(noun: FlowNoun<T>, u: T): string {
  return fields([
    [noun.arg, noun.nameOf(u)],
    ["limits", limitsText(u.limits)],
    ["limits from", u.own_limits ? "its own" : u.limits ? "the tenant's default_flow_limits" : "-"],
    ["running", runningText(u)],
    ...(noun.waiting ? ([["waiting", u.waiting]] as [string, unknown][]) : []),
    ["rate tokens", tokensText(u)],
  ]);
}

function commandsOf<T extends Usage>(noun: FlowNoun<T>): Command[] {
  const one = `<${noun.arg}>`;
  return [
    {
      name: `${noun.noun} list`,
      summary: `${noun.what}s with limits or runs now, by name, with their usage`,
      auth: "tenant",
      options: PAGING,
      run: (ctx) =>
        printList(
          ctx,
          noun.api(ctx).list({
            limit: int(ctx.values, "limit", { min: 1, max: 200 }),
            cursor: str(ctx.values, "cursor"),
          }),
          columns(noun),
          `${noun.what}s`,
        ),
    },
    {
      name: `${noun.noun} get`,
      args: one,
      summary: `a ${noun.what}'s limits and what it uses now`,
      auth: "tenant",
      async run(ctx) {
        const [name] = args(ctx, [noun.arg]);
        const usage = await noun.api(ctx).get(name as string);
        ctx.print(usage, () => show(noun, usage));
        return undefined;
      },
    },
    {
      name: `${noun.noun} set`,
      args: one,
      summary: `set a ${noun.what}'s limits (replacing those it had)`,
      help: noun.help,
      auth: "tenant",
      options: limitOptions("", `the ${noun.what}`),
      async run(ctx) {
        const [name] = args(ctx, [noun.arg]);
        const limits = limitsFromFlags(ctx.values);
        if (!limits) throw new UsageError("give --max-running, --rate or both");
        const usage = await noun.api(ctx).set(name as string, limits);
        ctx.print(usage, () => show(noun, usage));
        return undefined;
      },
    },
    {
      name: `${noun.noun} delete`,
      args: one,
      summary: `remove a ${noun.what}'s limits`,
      auth: "tenant",
      async run(ctx) {
        const [name] = args(ctx, [noun.arg]);
        await noun.api(ctx).delete(name as string);
        ctx.print({ removed: name }, `removed the limits of ${noun.what} ${name}`);
        return undefined;
      },
    },
  ];
}

const flowKeys: FlowNoun<FlowKey> = {
  noun: "flow-keys",
  arg: "key",
  what: "flow key",
  nameOf: (u) => u.key,
  api: (ctx) => ctx.client.flowKeys,
  waiting: true,
  help: [
    "A job's flow_key (jobs create --flow-key, or jobs trigger --flow-key for one run) counts its",
    "runs under the key's limits; runs over a limit wait without using an attempt (waiting_reason",
    "flow_key). Keys without limits of their own follow the tenant's default (tenants update",
    "--default-max-running ...). The limits given replace the key's: give every part you want.",
    "",
    "Examples:",
    "  flow-keys set customer-42 --max-running 2                    # at most 2 at once",
    "  flow-keys set customer-42 --max-running 2 --rate 10/1s --burst 10",
    "  flow-keys set big-customer --rate 600/1m                     # 600 starts a minute",
  ].join("\n"),
};

const destinations: FlowNoun<Destination> = {
  noun: "destinations",
  arg: "host",
  what: "destination",
  nameOf: (u) => u.host,
  api: (ctx) => ctx.client.destinations,
  waiting: false,
  help: [
    "A destination is the host of webhook URLs as URL.host gives it: lowercase, with :port when",
    "the URLs name one. Its limits cap every webhook run the tenant sends there, whatever their",
    "flow keys (waiting_reason destination). The limits given replace those it had.",
    "",
    "Examples:",
    "  destinations set api.example.com --rate 100/1s --burst 100",
    "  destinations set hooks.example.com:8443 --max-running 20",
  ].join("\n"),
};

export const flowCommands: Command[] = [...commandsOf(flowKeys), ...commandsOf(destinations)];
