#!/usr/bin/env node
// The CLI's entry point (package.json "bin"). The CLI is TypeScript run by Node's type stripping,
// which needs Node 22.18 or later: `npx edge-scheduler` and `npm run cli` use the project's own Node 22.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(
    `edge-scheduler needs Node 22.18 or later (this is ${process.version}); run it as \`npx edge-scheduler\` inside the project, which uses its Node 22.`,
  );
  process.exit(1);
}
const { main } = await import("../cli/main.ts");
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});
