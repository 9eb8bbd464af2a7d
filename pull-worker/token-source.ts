/**
 * Where the worker program reads its token: a file (`--token-file FILE`, or SCHEDULER_TOKEN_FILE)
 * or standard input (`--token-file -`), never the command line or the environment. A process's
 * command line and initial environment stay readable in /proc/<pid>/cmdline and /proc/<pid>/environ
 * (removing a variable from process.env does not erase them) by every process of the same user,
 * commands the worker starts among them; a token read from a file or a pipe is in neither.
 */
import { readFileSync, statSync } from "node:fs";

export class TokenSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TokenSourceError";
  }
}

export interface TokenSource {
  /** `--token-file` (or SCHEDULER_TOKEN_FILE): a path, or `-` for standard input. */
  file: string | undefined;
  /** `--token`, which is refused: it would be on the command line. */
  flag: string | undefined;
  env: Record<string, string | undefined>;
  /** Standard input, asked for only when the token comes from it. */
  stdin: () => NodeJS.ReadableStream;
  warn: (message: string) => void;
}

const HOW =
  "write the token to a file only you can read and pass --token-file FILE (or SCHEDULER_TOKEN_FILE=FILE), or pipe it in with --token-file -";

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

/** The token, or a TokenSourceError saying why not and what to do instead. */
export async function readToken(source: TokenSource): Promise<string> {
  if (source.flag !== undefined)
    throw new TokenSourceError(
      `--token puts the token on the command line, where every process of this machine (the commands the worker runs among them) can read it; ${HOW}`,
    );
  if (source.env.SCHEDULER_TOKEN !== undefined)
    throw new TokenSourceError(
      `SCHEDULER_TOKEN is set: the commands the worker runs could read it from this process's environment (/proc/<pid>/environ), even once removed from process.env. Start the worker without it (e.g. env -u SCHEDULER_TOKEN npm run worker -- ...) and ${HOW}`,
    );
  const { file } = source;
  if (!file) throw new TokenSourceError(`a token is required: ${HOW}`);
  let text: string;
  if (file === "-") {
    text = await readAll(source.stdin());
  } else {
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw new TokenSourceError(`cannot read the token file ${file}: ${(error as Error).message}`);
    }
    try {
      if (process.platform !== "win32" && (statSync(file).mode & 0o077) !== 0)
        source.warn(
          `the token file ${file} can be read by other users of this machine (chmod 600 ${file})`,
        );
    } catch {}
  }
  const token = text.trim();
  if (!token)
    throw new TokenSourceError(
      `the token ${file === "-" ? "on standard input" : `file ${file}`} is empty`,
    );
  if (/\s/.test(token))
    throw new TokenSourceError(
      `the token ${file === "-" ? "on standard input" : `file ${file}`} holds more than one word; it should hold the token alone`,
    );
  return token;
}
