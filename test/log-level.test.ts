import { afterEach, describe, expect, it, vi } from "vitest";
import { configureLogging, log, logDebug } from "../src/observability/log";

describe("log levels", () => {
  afterEach(() => configureLogging("debug"));

  it("writes debug lines only when LOG_LEVEL is debug, info lines always", () => {
    const spy = vi.spyOn(console, "log").mockImplementation(() => {});
    configureLogging("info");
    logDebug("run.dispatched", { run_id: "run_1" });
    log("attempt.finished", { run_id: "run_1" });
    configureLogging("debug");
    logDebug("run.dispatched", { run_id: "run_2" });
    const events = spy.mock.calls.map((c) => JSON.parse(String(c[0])));
    spy.mockRestore();
    expect(events.map((e) => [e.level, e.event, e.run_id])).toEqual([
      ["info", "attempt.finished", "run_1"],
      ["debug", "run.dispatched", "run_2"],
    ]);
  });
});
