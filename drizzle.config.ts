import { defineConfig } from "drizzle-kit";

export default defineConfig({
  out: "./migrations",
  schema: "./src/durable/storage/schema.ts",
  dialect: "sqlite",
  driver: "durable-sqlite",
});
