import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Two projects, one `vitest run`: the Worker's tests inside workerd, and the operator tools' tests
// (client, CLI, setup, dev) in Node against a real `npm run dev`.
export default defineConfig({
  test: {
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
    ],
  },
});
