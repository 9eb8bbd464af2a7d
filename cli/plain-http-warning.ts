/**
 * The CLI's warning, on stderr, when its token would travel over plain http to another machine
 * (the rule, shared with the worker program, is pull-worker/plain-http.ts). It warns, not refuses:
 * a private network may be trusted, but the person should know the token crosses it in clear.
 */
import { sendsTokenInClear } from "../pull-worker/plain-http.ts";

export function warnIfPlainHttp(
  baseUrl: string,
  stderr: { write(text: string): unknown },
  json: boolean,
): void {
  if (!sendsTokenInClear(baseUrl)) return;
  const warning = `${baseUrl} is plain http to another machine: the token travels unencrypted and anyone on the way can read it and use it; use https`;
  stderr.write(json ? `${JSON.stringify({ warning })}\n` : `warning: ${warning}\n`);
}
