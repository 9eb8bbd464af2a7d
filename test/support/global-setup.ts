/** Starts the real HTTP webhook sink (a Node server on 127.0.0.1) that tests deliver to. */
import type { TestProject } from "vitest/node";
import { startSink } from "../../tools/webhook-sink.ts";

export default async function setup(project: TestProject) {
  const sink = await startSink();
  // Read by tests through inject("sinkUrl") (typed in provided-context.d.ts).
  (project.provide as (key: string, value: string) => void)("sinkUrl", sink.url);
  return async () => {
    await sink.close();
  };
}
