/**
 * What a run's payload makes this worker execute, decided by the operator's configuration alone:
 *
 *   {"command": ["tar", "czf", "/backups/db.tgz", "/var/lib/db"], "env": {"LANG": "C"}, "cwd": "/srv"}
 *   {"shell": "tar czf /backups/db.tgz /var/lib/db && echo done"}      (= ["sh", "-c", ...])
 *   {"handler": "backup-db", "database": "orders"}                    (a named handler's command)
 *
 * A `command` (or `shell`) runs only when its first words are an allowed prefix; `env` names that
 * change loading or lookup are refused (payload-env.ts); a handler's command, cwd and env are the
 * configuration's, and its payload is only data. Anything refused or malformed fails the run
 * without a further attempt: another try would be refused the same way.
 */
import { RunError } from "./create-worker.ts";
import { refusedEnvName } from "./payload-env.ts";
import type { WorkerConfig } from "./worker-config.ts";

export interface CommandSpec {
  argv: string[];
  /** Set on top of the configuration's base environment. */
  env: Record<string, string>;
  cwd: string | undefined;
}

const bad = (message: string) => new RunError(`bad payload: ${message}`, { retryable: false });
const refused = (message: string) =>
  new RunError(`refused by this worker: ${message}`, { retryable: false });

/** argv as JSON, each word and the whole cut short (a payload may be long). */
function shown(words: string[]): string {
  const text = JSON.stringify(words.map((w) => (w.length > 80 ? `${w.slice(0, 79)}…` : w)));
  return text.length > 300 ? `${text.slice(0, 299)}…` : text;
}

const startsWith = (argv: string[], prefix: string[]) =>
  prefix.length <= argv.length && prefix.every((word, i) => argv[i] === word);

function payloadEnv(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (!value || typeof value !== "object" || Array.isArray(value))
    throw bad('"env" must be an object of strings');
  const env: Record<string, string> = {};
  for (const [name, text] of Object.entries(value)) {
    const why = refusedEnvName(name);
    if (why)
      throw refused(
        `payload env.${name} ${why}; a job may not set it (the worker's operator sets the commands' environment in "env" of its --config file)`,
      );
    if (typeof text !== "string" || text.includes("\0"))
      throw bad(`"env.${name}" must be a string`);
    env[name] = text;
  }
  return env;
}

/** The command a run's payload asks for, if this worker's configuration allows it. */
export function decideCommand(payload: unknown, config: WorkerConfig): CommandSpec {
  if (!payload || typeof payload !== "object" || Array.isArray(payload))
    throw bad('expected an object with "command" (argv array), "shell" (string) or "handler"');
  const p = payload as Record<string, unknown>;
  const given = ["command", "shell", "handler"].filter((key) => p[key] !== undefined);
  if (given.length !== 1)
    throw bad(
      given.length === 0
        ? 'expected "command" (argv array), "shell" (string) or "handler" (a name)'
        : `give one of "command", "shell" and "handler", not ${given.map((k) => `"${k}"`).join(" and ")}`,
    );

  if (p.handler !== undefined) {
    if (typeof p.handler !== "string" || p.handler === "")
      throw bad('"handler" must be a non-empty string');
    const handler = Object.hasOwn(config.handlers, p.handler)
      ? config.handlers[p.handler]
      : undefined;
    if (!handler)
      throw refused(
        `no handler ${JSON.stringify(p.handler)} here; the worker's operator adds it under "handlers" of its --config file`,
      );
    return { argv: handler.command, env: handler.env, cwd: handler.cwd };
  }

  let argv: string[];
  if (p.shell !== undefined) {
    if (typeof p.shell !== "string" || p.shell === "")
      throw bad('"shell" must be a non-empty string');
    argv = ["sh", "-c", p.shell];
  } else if (
    Array.isArray(p.command) &&
    p.command.length > 0 &&
    p.command.every((arg) => typeof arg === "string" && !arg.includes("\0")) &&
    p.command[0] !== ""
  ) {
    argv = p.command as string[];
  } else throw bad('"command" must be a non-empty array of strings (argv, run without a shell)');

  if (!config.commands.some((prefix) => startsWith(argv, prefix))) {
    const what =
      p.shell !== undefined ? `"shell" (sh -c) ${shown(argv)}` : `command ${shown(argv)}`;
    throw refused(
      `${what} is not in its allowlist; the worker's operator allows commands by their first words with --allow (e.g. --allow ${JSON.stringify(argv[0])}) or "commands" in its --config file`,
    );
  }
  const env = payloadEnv(p.env);
  if (p.cwd !== undefined && (typeof p.cwd !== "string" || p.cwd === ""))
    throw bad('"cwd" must be a non-empty string');
  return { argv, env, cwd: p.cwd as string | undefined };
}
