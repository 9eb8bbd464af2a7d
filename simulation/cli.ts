// Entry of `npm run simulate`: bundles the simulation (the object's own modules, with the
// simulated platform in place of `cloudflare:workers`) with esbuild, then runs it in this process.
// `--mutants` builds each deliberately broken copy of the code (mutants.ts) and runs seeds until
// the simulation reports a violation, to show every invariant can fail.
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { build, type Plugin } from "esbuild";
import { MUTANTS, type Mutant } from "./mutants.ts";

const root = new URL("..", import.meta.url).pathname;
const outdir = `${root}node_modules/.cache/edge-scheduler-simulation`;
mkdirSync(outdir, { recursive: true });

interface Bundle {
  main: (argv: string[]) => Promise<number>;
  firstViolation: (from: number, count: number, steps: number) => Promise<FirstViolation | null>;
}
interface FirstViolation {
  seed: number;
  invariant: string;
  detail: string;
}

async function bundle(name: string, mutant?: Mutant): Promise<Bundle> {
  // One file per process: runs side by side (a long run, mutants) must not load each other's build.
  const outfile = `${outdir}/${name}-${process.pid}.mjs`;
  await build({
    entryPoints: [`${root}simulation/main.ts`],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    alias: { "cloudflare:workers": `${root}simulation/platform/cloudflare-workers.ts` },
    loader: { ".sql": "text" },
    logLevel: "error",
    plugins: mutant ? [mutate(mutant)] : [],
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
  const loaded = (await import(`${pathToFileURL(outfile).href}?${Date.now()}`)) as Bundle;
  rmSync(outfile, { force: true });
  return loaded;
}

/** Applies a mutant's edits as the files are loaded; an edit that no longer matches is an error. */
function mutate(mutant: Mutant): Plugin {
  return {
    name: "mutant",
    setup(b) {
      b.onLoad({ filter: /src\/.*\.ts$/ }, (args) => {
        const file = args.path.slice(root.length);
        const edits = mutant.edits.filter((e) => e.file === file);
        if (!edits.length) return undefined;
        let text = readFileSync(args.path, "utf8");
        for (const edit of edits) {
          const count = text.split(edit.from).length - 1;
          if (count !== 1)
            throw new Error(`mutant "${mutant.change}": ${file} has ${count} matches`);
          text = text.replace(edit.from, edit.to);
        }
        return { contents: text, loader: "ts" };
      });
    },
  };
}

const argv = process.argv.slice(2);
if (argv.includes("--mutants")) {
  const budget = Number(argv[argv.indexOf("--mutant-seeds") + 1] ?? 0) || 300;
  const rows: string[] = [];
  let missed = 0;
  // `--only 3,7` runs those mutants alone (indexes in mutants.ts).
  const only = argv.includes("--only")
    ? new Set(
        String(argv[argv.indexOf("--only") + 1])
          .split(",")
          .map(Number),
      )
    : null;
  for (const [i, mutant] of MUTANTS.entries()) {
    if (only && !only.has(i)) continue;
    const started = performance.now();
    const { firstViolation } = await bundle(`mutant-${i}`, mutant);
    const found = await firstViolation(1, budget, 150);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const verdict = !found
      ? "not found"
      : found.invariant === mutant.invariant
        ? "fails as expected"
        : `fails another check: ${found.invariant}`;
    if (found?.invariant !== mutant.invariant) missed++;
    rows.push(
      `| ${mutant.invariant} | ${mutant.change} | ${found ? found.seed : "-"} | ${verdict} |`,
    );
    console.log(
      `${mutant.invariant}: ${verdict}${found ? ` (seed ${found.seed})` : ""} in ${seconds} s`,
    );
  }
  console.log("\n| invariant | broken copy | first failing seed | result |\n|---|---|---|---|");
  for (const row of rows) console.log(row);
  process.exitCode = missed ? 1 : 0;
} else if (argv.includes("--mutant")) {
  // One broken copy (its index in mutants.ts), run like the real code: to study what a check sees.
  const index = Number(argv[argv.indexOf("--mutant") + 1]);
  const rest = argv.filter(
    (_, i) => i !== argv.indexOf("--mutant") && i !== argv.indexOf("--mutant") + 1,
  );
  const { main } = await bundle(`mutant-${index}`, MUTANTS[index]);
  process.exitCode = await main(rest);
} else {
  const { main } = await bundle("main");
  process.exitCode = await main(argv);
}
