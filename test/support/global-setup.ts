/** Starts the real HTTP webhook sink (a Node server on 127.0.0.1) that tests deliver to. */
import type { TestProject } from "vitest/node";
import { startSink } from "../../tools/webhook-sink";

declare module "vitest" {
  export interface ProvidedContext {
    sinkUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const sink = await startSink();
  project.provide("sinkUrl", sink.url);
  return async () => {
    await sink.close();
  };
}
