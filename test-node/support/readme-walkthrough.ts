/**
 * The README's walkthrough as a shell script: the ```sh blocks marked `walkthrough` run in order in
 * one bash, each command required to succeed; blocks marked `walkthrough-background` (a long-running
 * program, such as the pull worker) start in the background in that same shell and are stopped at
 * the end. What the test itself provides (`npm ci`, the running `npm run dev`) is not in them.
 */

export interface ReadmeBlock {
  kind: "walkthrough" | "walkthrough-background";
  /** The block's text, as written. */
  text: string;
  /** 1-based line of the opening fence, for messages. */
  line: number;
}

const FENCE = /^```sh(?:\s+(walkthrough(?:-background)?))?\s*$/;

/** Every ```sh block of the README, in order; `kind` null for those not marked. */
export function shellBlocks(readme: string): (Omit<ReadmeBlock, "kind"> & {
  kind: ReadmeBlock["kind"] | null;
})[] {
  const lines = readme.split("\n");
  const blocks: (Omit<ReadmeBlock, "kind"> & { kind: ReadmeBlock["kind"] | null })[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i] as string);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i] as string).startsWith("```"); i++)
      body.push(lines[i] as string);
    blocks.push({
      kind: (open[1] as ReadmeBlock["kind"] | undefined) ?? null,
      text: body.join("\n"),
      line: start + 1,
    });
  }
  return blocks;
}

/** The blocks the walkthrough runs, in README order. */
export function walkthroughBlocks(readme: string): ReadmeBlock[] {
  return shellBlocks(readme).filter((b): b is ReadmeBlock => b.kind !== null);
}

/** Markers the script prints on stdout, one per line. */
export const MARK = {
  start: (n: number) => `::block-start ${n}`,
  ok: (n: number) => `::block-ok ${n}`,
  background: (n: number) => `::background ${n} pid`,
  done: "::walkthrough-done",
} as const;

/**
 * One bash script running `blocks`, with `address` in place of the README's
 * http://localhost:8787 (the test's system listens on a port of its own). `set -e` and `pipefail`
 * make any failing command end it; curl is given `--fail-with-body`, so an HTTP error fails too (the
 * README's `curl -s` alone would exit 0 on a 401). Each block reads /dev/null, not the script's
 * stdin. Background blocks get a process group each (`set -m`) and their output in
 * `backgroundLog(n)`. At the end the script checks they still run, prints `::walkthrough-done`,
 * waits for a line on stdin, then stops them (SIGTERM) and waits for them.
 */
export function walkthroughScript(
  blocks: ReadmeBlock[],
  address: string,
  backgroundLog: (n: number) => string,
): string {
  const rewrite = (text: string) => text.replaceAll("http://localhost:8787", address);
  const lines = [
    "set -m",
    "backgrounds=()",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's ${...}, not a template
    'stop_backgrounds() { for pid in "${backgrounds[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done; wait; }',
    "trap stop_backgrounds EXIT",
    'curl() { command curl --fail-with-body "$@"; }',
    "set -eo pipefail",
  ];
  blocks.forEach((block, i) => {
    const n = i + 1;
    // On a line of their own, whatever a block printed last (curl's answers end without one).
    lines.push(`printf '\\n%s\\n' '${MARK.start(n)}'`);
    if (block.kind === "walkthrough-background") {
      lines.push(`(\n${rewrite(block.text)}\n) </dev/null >'${backgroundLog(n)}' 2>&1 &`);
      lines.push("backgrounds+=($!)");
      lines.push(`printf '\\n%s %s\\n' '${MARK.background(n)}' "$!"`);
    } else {
      lines.push(`{\n${rewrite(block.text)}\n} </dev/null`);
    }
    lines.push(`printf '\\n%s\\n' '${MARK.ok(n)}'`);
  });
  lines.push(
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's ${...}, not a template
    'for pid in "${backgrounds[@]}"; do kill -0 "$pid" || { echo "background $pid ended early"; exit 1; }; done',
    `printf '\\n%s\\n' '${MARK.done}'`,
    "read -r _ || true",
  );
  return `${lines.join("\n")}\n`;
}

/** The number of the block that was running when the script stopped (0: none started). */
export function failedBlock(output: string): number {
  const started = [...output.matchAll(/^::block-start (\d+)$/gm)].map((m) => Number(m[1]));
  const finished = new Set([...output.matchAll(/^::block-ok (\d+)$/gm)].map((m) => Number(m[1])));
  return started.find((n) => !finished.has(n)) ?? 0;
}
