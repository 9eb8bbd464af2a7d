/**
 * edge-scheduler: the scheduler's command line, on the typed client.
 *
 *   npx edge-scheduler <noun> <verb> [arguments] [--flags]
 *
 * Exit codes: 0 done; 1 usage (bad command, flags, file, no token); 2 the API refused the request
 * (a 4xx problem: nothing was changed by it); 3 the API failed (5xx) or did not answer.
 */
import { readFileSync } from "node:fs";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { SchedulerClient } from "../src/client/index.ts";
import { type Command, makeContext, type OptionSpec } from "./command.ts";
import { flowCommands } from "./commands/flow.ts";
import { jobCommands } from "./commands/jobs.ts";
import { otherCommands } from "./commands/other.ts";
import { runCommands } from "./commands/runs.ts";
import { tenantCommands } from "./commands/tenants.ts";
import { workerCommands } from "./commands/workers.ts";
import { DEFAULT_URL, resolveSettings } from "./config.ts";
import {
  describeError,
  EXIT,
  type ExitCode,
  errorJson,
  exitCodeOf,
  type Streams,
  UsageError,
} from "./output.ts";
import { warnIfPlainHttp } from "./plain-http-warning.ts";
import type { Progress } from "./progress.ts";

export const COMMANDS: Command[] = [
  ...tenantCommands,
  ...jobCommands,
  ...runCommands,
  ...workerCommands,
  ...flowCommands,
  ...otherCommands,
];

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  url: {
    type: "string",
    value: "<url>",
    description: `the scheduler (default $SCHEDULER_URL, else ${DEFAULT_URL})`,
  },
  token: {
    type: "string",
    value: "<token>",
    description: "overrides $SCHEDULER_TOKEN (tenant) / $SCHEDULER_ADMIN_TOKEN (admin)",
  },
  json: { type: "boolean", description: "print JSON on stdout (errors as JSON on stderr)" },
  field: {
    type: "string",
    value: "<name>",
    description:
      "print only this field of the answer on stdout (e.g. id, token, last_run.id); the rest on stderr",
  },
  help: { type: "boolean", short: "h", description: "show help" },
};

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    return `${pkg.name} ${pkg.version}`;
  } catch {
    return "edge-scheduler";
  }
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options).map(([name, spec]) => [
    `${spec.short ? `-${spec.short}, ` : ""}--${name}${spec.value ? ` ${spec.value}` : ""}`,
    spec.description,
  ]);
  const width = Math.max(...rows.map(([left]) => (left as string).length));
  return rows.map(([left, right]) => `  ${(left as string).padEnd(width)}  ${right}`);
}

export function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => `${c.name} ${c.args ?? ""}`.length));
  return [
    "Usage: edge-scheduler <noun> <verb> [arguments] [--flags]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${`${c.name} ${c.args ?? ""}`.padEnd(width)}  ${c.summary}`),
    "",
    "Global flags:",
    ...optionLines(GLOBAL_OPTIONS),
    "",
    "Environment: SCHEDULER_URL, SCHEDULER_TOKEN (a tenant's token), SCHEDULER_ADMIN_TOKEN",
    "(tenants, tokens, metrics --admin; for a local URL the ADMIN_TOKEN in .dev.vars is used).",
    "",
    "Exit codes: 0 done, 1 usage error, 2 the API refused the request (4xx problem),",
    "3 the API failed (5xx) or did not answer. `edge-scheduler <noun> <verb> --help` for flags.",
  ].join("\n");
}

function commandHelp(command: Command): string {
  return [
    `Usage: edge-scheduler ${command.name}${command.args ? ` ${command.args}` : ""} [--flags]`,
    "",
    command.summary,
    ...(command.options ? ["", "Flags:", ...optionLines(command.options)] : []),
    "",
    "Global flags:",
    ...optionLines(GLOBAL_OPTIONS),
    ...(command.help ? ["", command.help] : []),
  ].join("\n");
}

/** Words before the first flag that name a command; value flags (`--url x`) are skipped. */
function findCommand(argv: string[]): { command?: Command; words: string[] } {
  const words: string[] = [];
  for (let i = 0; i < argv.length && words.length < 2; i++) {
    const arg = argv[i] as string;
    if (arg === "--") break;
    if (arg.startsWith("-")) {
      const name = arg.replace(/^--?/, "").split("=")[0] as string;
      if (GLOBAL_OPTIONS[name]?.type === "string" && !arg.includes("=")) i++;
      continue;
    }
    words.push(arg);
  }
  const [noun, verb] = words;
  const command =
    COMMANDS.find((c) => c.name === `${noun} ${verb}`) ?? COMMANDS.find((c) => c.name === noun);
  return { command, words };
}

export interface Io extends Streams {
  env: Record<string, string | undefined>;
  cwd: string;
}

/** Runs one command line and returns its exit code (never throws, never calls process.exit). */
export async function main(argv: string[], io: Io): Promise<ExitCode> {
  const { stdout, stderr } = io;
  const json = argv.includes("--json");
  // Where requests went, for the message when nothing answered (set once the flags are read).
  let baseUrl: string | undefined;
  const fail = (error: unknown): ExitCode => {
    if (json) stderr.write(`${JSON.stringify(errorJson(error, baseUrl))}\n`);
    else stderr.write(`error: ${describeError(error, baseUrl)}\n`);
    if (error instanceof UsageError && !json)
      stderr.write("(edge-scheduler --help lists the commands)\n");
    return exitCodeOf(error);
  };

  if (argv.length === 0 || argv[0] === "help" || (argv.length === 1 && argv[0] === "--help")) {
    stdout.write(`${overview()}\n`);
    return EXIT.ok;
  }
  if (argv[0] === "--version" || argv[0] === "-v") {
    stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  const { command, words } = findCommand(argv);
  if (!command) {
    if (argv.includes("--help") || argv.includes("-h")) {
      const nouns = COMMANDS.filter((c) => c.name.startsWith(`${words[0]} `));
      if (nouns.length) {
        stdout.write(
          `${nouns.map((c) => `edge-scheduler ${c.name} ${c.args ?? ""}  ${c.summary}`).join("\n")}\n`,
        );
        return EXIT.ok;
      }
    }
    return fail(new UsageError(`unknown command: ${words.join(" ") || argv.join(" ")}`));
  }

  const options = { ...GLOBAL_OPTIONS, ...command.options };
  let parsed: {
    values: Record<string, string | boolean | string[] | undefined>;
    positionals: string[];
  };
  try {
    parsed = parseArgs({
      args: argv,
      options: Object.fromEntries(
        Object.entries(options).map(([name, spec]) => [
          name,
          {
            type: spec.type,
            ...(spec.short ? { short: spec.short } : {}),
            ...(spec.multiple ? { multiple: true } : {}),
          },
        ]),
      ) as ParseArgsConfig["options"],
      allowPositionals: true,
      strict: true,
    }) as typeof parsed;
  } catch (error) {
    return fail(new UsageError((error as Error).message));
  }
  if (parsed.values.help) {
    stdout.write(`${commandHelp(command)}\n`);
    return EXIT.ok;
  }
  // The command's own words are the first positionals.
  const positionals = parsed.positionals.slice(command.name.split(" ").length);
  if (!command.args && positionals.length)
    return fail(new UsageError(`${command.name} takes no arguments, got ${positionals.join(" ")}`));

  const field = parsed.values.field as string | undefined;
  if (field !== undefined && (json || field === ""))
    return fail(new UsageError(json ? "give --json or --field, not both" : "--field needs a name"));

  let activeProgress: Progress | undefined;
  try {
    const auth = typeof command.auth === "function" ? command.auth(parsed.values) : command.auth;
    const settings = resolveSettings(
      auth,
      {
        url: parsed.values.url as string | undefined,
        token: parsed.values.token as string | undefined,
      },
      io.env,
      io.cwd,
    );
    if (settings.token) warnIfPlainHttp(settings.baseUrl, stderr, json);
    baseUrl = settings.baseUrl;
    const client = new SchedulerClient({
      baseUrl: settings.baseUrl,
      ...(settings.token ? { token: settings.token } : {}),
      // Bulk commands on a small tier meet 429s: wait them out a few more times than a library would.
      maxRetries: 8,
      onRetry: (event) => {
        const text =
          event.reason === "rate_limited"
            ? `rate limited; retrying in ${event.delaySeconds} s`
            : `no answer; retrying in ${event.delaySeconds} s`;
        if (activeProgress) activeProgress.say(text);
        else if (!json) stderr.write(`${event.request}: ${text}\n`);
      },
    });
    const context = makeContext({
      streams: io,
      env: io.env,
      cwd: io.cwd,
      json,
      field,
      baseUrl: settings.baseUrl,
      values: parsed.values,
      positionals,
      client,
    });
    const progress = context.progress;
    context.progress = (total, label) => {
      activeProgress = progress(total, label);
      return activeProgress;
    };
    return (await command.run(context)) ?? EXIT.ok;
  } catch (error) {
    activeProgress?.finish();
    return fail(error);
  }
}
