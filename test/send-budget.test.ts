import { describe, expect, it } from "vitest";
import { SendBudget } from "../src/durable/dispatch/send-budget";

const waiting = (rank: number, count: number) => ({ rank, count });
const message = { run_id: "new" } as never;

describe("one round's send budget", () => {
  it("sends waiting runs before new runs of the same priority (they are older)", () => {
    const budget = new SendBudget(3, waiting(1, 2), 2);
    expect(budget.admits(1)).toBe(true);
    budget.messages.push(message);
    expect(budget.admits(1)).toBe(false);
    expect(budget.sendWaiting()).toEqual({ rank: 1, limit: 2 });
  });

  it("lets new runs of a higher priority take the round from waiting lower ones", () => {
    const budget = new SendBudget(2, waiting(2, 2), 2);
    expect(budget.admits(0)).toBe(true);
    budget.messages.push(message);
    expect(budget.sendWaiting()).toBeNull();
    expect(budget.admits(2)).toBe(false);
  });

  it("admits nothing without capacity, and no priority above the strict-priority bound", () => {
    expect(new SendBudget(0, null, 2).admits(0)).toBe(false);
    expect(new SendBudget(5, null, 0).admits(1)).toBe(false);
  });

  it("forgets the messages of a job whose materialization rolled back", () => {
    const budget = new SendBudget(5, null, 2);
    const mark = budget.mark();
    budget.messages.push(message);
    budget.rollback(mark);
    expect(budget.messages).toEqual([]);
  });
});
