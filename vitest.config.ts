import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig, type Plugin } from "vitest/config";

/** Migrations are imported as text (wrangler's Text rule); the simulation runs them in Node. */
const sqlAsText: Plugin = {
  name: "sql-as-text",
  transform(code, id) {
    return id.endsWith(".sql") ? `export default ${JSON.stringify(code)};` : undefined;
  },
};

// Three projects, one `vitest run`: the Worker's tests inside workerd, the operator tools' tests
// (client, CLI, setup, dev) in Node against a real `npm run dev`, and the simulation of the tenant
// object (its production modules in Node over node:sqlite, simulation/).
export default defineConfig({
  test: {
    // Most tests wait on real time (alarms, leases, a worker's child process) rather than compute:
    // three files at once on two cores take about a third of the wall time of one at a time.
    maxWorkers: 3,
    // Structured logs of passing tests are noise; failing tests still show theirs.
    silent: "passed-only",
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ADMIN_TOKEN: "test-admin-token",
                // Signs the tenant tokens the tests' tenants are issued (test/support/api.ts).
                TOKEN_SIGNING_KEY: "test-token-signing-key",
                ALLOW_INSECURE_TARGETS: "true",
                LOG_LEVEL: "debug",
                // Two queue shards per lane (wrangler.toml declares more): K > 1 in every test.
                QUEUE_SHARDS: "2",
              },
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["test/**/*.test.ts"],
          globalSetup: ["./test/support/global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: "node",
          include: ["test-node/**/*.test.ts"],
          environment: "node",
          globalSetup: ["./test-node/support/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        plugins: [sqlAsText],
        resolve: {
          alias: {
            "cloudflare:workers": new URL(
              "./simulation/platform/cloudflare-workers.ts",
              import.meta.url,
            ).pathname,
          },
        },
        test: {
          name: "simulation",
          include: ["simulation/**/*.test.ts"],
          environment: "node",
          testTimeout: 600_000,
        },
      },
    ],
  },
});
