// Entry of `npm run simulate`: bundles the simulation (the object's own modules, with the
// simulated platform in place of `cloudflare:workers`) with esbuild, then runs it in this process.
import { mkdirSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
const outdir = `${root}node_modules/.cache/edge-scheduler-simulation`;
mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: [`${root}simulation/main.ts`],
  outfile: `${outdir}/main.mjs`,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  alias: { "cloudflare:workers": `${root}simulation/platform/cloudflare-workers.ts` },
  loader: { ".sql": "text" },
  logLevel: "warning",
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
});
const { main } = (await import(pathToFileURL(`${outdir}/main.mjs`).href)) as {
  main: (argv: string[]) => Promise<number>;
};
process.exitCode = await main(process.argv.slice(2));
