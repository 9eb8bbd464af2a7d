import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ADMIN_TOKEN: "test-admin-token",
          ALLOW_INSECURE_TARGETS: "true",
          LOG_LEVEL: "debug",
        },
      },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    // Structured logs of passing tests are noise; failing tests still show theirs.
    silent: "passed-only",
    globalSetup: ["./test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
