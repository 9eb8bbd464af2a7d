/**
 * The worker operator's configuration: which commands this machine runs for a job, and the
 * environment they start from. Nothing a job sends can widen it. Read from `--config FILE` (JSON)
 * and `--allow WORDS` flags:
 *
 *   {
 *     "commands": [["tar", "czf"], ["/usr/local/bin/thumbnail"]],
 *     "handlers": {"backup-db": {"command": ["/usr/local/bin/backup-db"], "cwd": "/srv",
 *                                "env": {"PGHOST": "db"}}},
 *     "env": {"PATH": "/usr/local/bin:/usr/bin:/bin"},
 *     "pass_env": ["HOME", "LANG", "TZ"]
 *   }
 *
 * `commands` are argv prefixes: a payload's `command` runs when its first words equal one of them.
 * `handlers` map a payload `{"handler": "backup-db", ...}` to a fixed command; the payload is data
 * (SCHEDULER_PAYLOAD). Commands start from `env` plus the worker's own values of the `pass_env`
 * names (never SCHEDULER_*), with PATH fixed to a system default unless `env` sets it.
 */
import { readFileSync } from "node:fs";

export interface HandlerConfig {
  command: string[];
  cwd?: string;
  env: Record<string, string>;
}

export interface WorkerConfig {
  /** argv prefixes a payload's `command` may start with. */
  commands: string[][];
  handlers: Record<string, HandlerConfig>;
  /** What every command's environment starts from (before a payload's env and the run's variables). */
  baseEnv: Record<string, string>;
}

/** A configuration file as read, before the worker's environment is applied. */
export interface ConfigFile {
  commands: string[][];
  handlers: Record<string, HandlerConfig>;
  env: Record<string, string>;
  passEnv: string[];
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** The PATH commands look programs up in unless the configuration's `env` sets one. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/** The worker's variables a command gets unless the configuration's `pass_env` says otherwise. */
export const DEFAULT_PASS_ENV = ["HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TMPDIR"];

const HANDLER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KEYS = ["commands", "handlers", "env", "pass_env"];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * A command or prefix: words without NUL; the program a bare name (looked up in PATH) or an
 * absolute path, never a relative one (which the payload's `cwd` would decide).
 */
function argv(value: unknown, at: string): string[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new ConfigError(`${at}: expected a non-empty array of strings (argv words)`);
  for (const [i, word] of value.entries()) {
    if (typeof word !== "string" || word === "" || word.includes("\0"))
      throw new ConfigError(`${at}[${i}]: expected a non-empty string`);
  }
  const program = value[0] as string;
  if (program.includes("/") && !program.startsWith("/"))
    throw new ConfigError(
      `${at}[0]: ${JSON.stringify(program)} is a relative path; give a name looked up in PATH or an absolute path`,
    );
  return value as string[];
}

function envRecord(value: unknown, at: string): Record<string, string> {
  if (!isObject(value)) throw new ConfigError(`${at}: expected an object of strings`);
  const env: Record<string, string> = {};
  for (const [name, text] of Object.entries(value)) {
    if (!ENV_NAME.test(name))
      throw new ConfigError(`${at}.${name}: not a variable name (letters, digits and '_')`);
    if (name.toUpperCase().startsWith("SCHEDULER_"))
      throw new ConfigError(`${at}.${name}: SCHEDULER_* variables are set by the worker`);
    if (typeof text !== "string" || text.includes("\0"))
      throw new ConfigError(`${at}.${name}: expected a string`);
    env[name] = text;
  }
  return env;
}

/** Checks a parsed configuration file; `source` names it in messages. */
export function parseConfig(value: unknown, source: string): ConfigFile {
  if (!isObject(value))
    throw new ConfigError(`${source}: expected a JSON object with "commands" and/or "handlers"`);
  for (const key of Object.keys(value))
    if (!KEYS.includes(key))
      throw new ConfigError(`${source}: unknown key "${key}" (known: ${KEYS.join(", ")})`);
  const commands: string[][] = [];
  if (value.commands !== undefined) {
    if (!Array.isArray(value.commands))
      throw new ConfigError(`${source}: commands: expected an array of argv prefixes`);
    for (const [i, prefix] of value.commands.entries())
      commands.push(argv(prefix, `${source}: commands[${i}]`));
  }
  const handlers: Record<string, HandlerConfig> = {};
  if (value.handlers !== undefined) {
    if (!isObject(value.handlers))
      throw new ConfigError(`${source}: handlers: expected an object of named handlers`);
    for (const [name, spec] of Object.entries(value.handlers)) {
      const at = `${source}: handlers.${name}`;
      if (!HANDLER_NAME.test(name))
        throw new ConfigError(`${at}: a name is 1-64 letters, digits, '_', '.', ':', '-'`);
      if (!isObject(spec)) throw new ConfigError(`${at}: expected {"command": [...]}`);
      for (const key of Object.keys(spec))
        if (!["command", "cwd", "env"].includes(key))
          throw new ConfigError(`${at}: unknown key "${key}" (known: command, cwd, env)`);
      if (spec.cwd !== undefined && (typeof spec.cwd !== "string" || !spec.cwd.startsWith("/")))
        throw new ConfigError(`${at}.cwd: expected an absolute path`);
      handlers[name] = {
        command: argv(spec.command, `${at}.command`),
        ...(spec.cwd === undefined ? {} : { cwd: spec.cwd as string }),
        env: spec.env === undefined ? {} : envRecord(spec.env, `${at}.env`),
      };
    }
  }
  const env = value.env === undefined ? {} : envRecord(value.env, `${source}: env`);
  let passEnv = DEFAULT_PASS_ENV;
  if (value.pass_env !== undefined) {
    if (!Array.isArray(value.pass_env))
      throw new ConfigError(`${source}: pass_env: expected an array of variable names`);
    passEnv = value.pass_env.map((name, i) => {
      if (typeof name !== "string" || !ENV_NAME.test(name))
        throw new ConfigError(`${source}: pass_env[${i}]: expected a variable name`);
      if (name.toUpperCase().startsWith("SCHEDULER_"))
        throw new ConfigError(
          `${source}: pass_env[${i}]: ${name} is the worker's own and never passed to commands`,
        );
      return name;
    });
  }
  return { commands, handlers, env, passEnv };
}

/** `--allow "sh -c"`: one argv prefix, words split on white space. */
export function allowedPrefix(text: string): string[] {
  return argv(
    text.split(/\s+/).filter((word) => word !== ""),
    `--allow ${JSON.stringify(text)}`,
  );
}

/**
 * The configuration from a file (optional) and `--allow` flags, with commands' base environment
 * taken from `workerEnv` (the worker's own) for the `pass_env` names only.
 */
export function loadConfig(
  options: { file?: string | undefined; allow?: string[] | undefined },
  workerEnv: Record<string, string | undefined>,
): WorkerConfig {
  let fromFile: ConfigFile | undefined;
  if (options.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.file, "utf8");
    } catch (error) {
      throw new ConfigError(`cannot read ${options.file}: ${(error as Error).message}`);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(`${options.file}: not JSON: ${(error as Error).message}`);
    }
    fromFile = parseConfig(value, options.file);
  }
  const commands = [
    ...(fromFile?.commands ?? []),
    ...(options.allow ?? []).map((text) => allowedPrefix(text)),
  ];
  const baseEnv: Record<string, string> = { PATH: DEFAULT_PATH };
  for (const name of fromFile?.passEnv ?? DEFAULT_PASS_ENV) {
    const value = workerEnv[name];
    if (value !== undefined) baseEnv[name] = value;
  }
  Object.assign(baseEnv, fromFile?.env ?? {});
  return { commands, handlers: fromFile?.handlers ?? {}, baseEnv };
}

/** One line for the worker's log: what this machine runs for jobs. */
export function describeConfig(config: WorkerConfig): string {
  const commands = config.commands.map((prefix) => JSON.stringify(prefix.join(" ")));
  const handlers = Object.keys(config.handlers);
  return [
    commands.length ? `commands starting with ${commands.join(", ")}` : "",
    handlers.length ? `handlers ${handlers.join(", ")}` : "",
  ]
    .filter(Boolean)
    .join("; ");
}
