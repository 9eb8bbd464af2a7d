import { describe, expect, it } from "vitest";
import { SendBudget } from "../src/durable/dispatch/send-budget";
import type { FlowAdmission } from "../src/durable/flow/flow-admission";

const message = { run_id: "new" } as never;
const run = { flowKey: null, destination: null };
/** Admits everything; the flow limits themselves are tested in flow-control.test.ts. */
const open = { blockedBy: () => null, admit: () => {} } as unknown as FlowAdmission;
/** Blocks every run of key "hot". */
const hotLimited = {
  blockedBy: (r: { flowKey: string | null }) => (r.flowKey === "hot" ? "flow_key" : null),
  admit: () => {},
} as unknown as FlowAdmission;

describe("one round's budget for new runs", () => {
  it("admits new runs up to the capacity left, at the priority the waiting runs were sent at", () => {
    const budget = new SendBudget(2, 1, 2, open, 0);
    expect(budget.admits(0, run)).toBe(false);
    expect(budget.admits(1, run)).toBe(true);
    budget.admitted(run, message);
    expect(budget.admits(1, run)).toBe(true);
    budget.admitted(run, message);
    expect(budget.admits(1, run)).toBe(false);
  });

  it("lets the first admitted new run choose the round's priority when no waiting run was sent", () => {
    const budget = new SendBudget(5, null, 2, open, 0);
    expect(budget.admits(0, run)).toBe(true);
    budget.admitted(run, message);
    expect(budget.admits(2, run)).toBe(false);
  });

  it("admits nothing without capacity, no priority above the strict-priority bound, no run its limits hold", () => {
    expect(new SendBudget(0, null, 2, open, 0).admits(0, run)).toBe(false);
    expect(new SendBudget(5, null, 0, open, 0).admits(1, run)).toBe(false);
    const limited = new SendBudget(5, null, 2, hotLimited, 0);
    expect(limited.admits(1, { flowKey: "hot", destination: null })).toBe(false);
    expect(limited.admits(1, { flowKey: "cold", destination: null })).toBe(true);
  });

  it("forgets the messages of a job whose materialization rolled back", () => {
    const budget = new SendBudget(5, null, 2, open, 0);
    const mark = budget.mark();
    budget.admitted(run, message);
    budget.rollback(mark);
    expect(budget.messages).toEqual([]);
  });
});
