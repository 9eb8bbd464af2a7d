/**
 * Starts the real system once for the Node tests: `npm run dev` in a fresh copy of the project
 * (see dev-system.ts) and a webhook sink on 127.0.0.1 that its jobs deliver to.
 */
import type { TestProject } from "vitest/node";
import { startSink } from "../../tools/webhook-sink.ts";
import { startDevSystem } from "./dev-system.ts";

export default async function setup(project: TestProject) {
  const sink = await startSink();
  const system = await startDevSystem().catch(async (error) => {
    await sink.close();
    throw error;
  });
  project.provide("baseUrl", system.baseUrl);
  project.provide("adminToken", system.adminToken);
  project.provide("devDir", system.dir);
  project.provide("devOutput", system.output);
  project.provide("sinkUrl", sink.url);
  return async () => {
    await system.stop();
    await sink.close();
  };
}
