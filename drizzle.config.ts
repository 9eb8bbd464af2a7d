import { defineConfig } from "drizzle-kit";

export default defineConfig({
  out: "./migrations",
  schema: "./src/durable/schema.ts",
  dialect: "sqlite",
  driver: "durable-sqlite",
});
