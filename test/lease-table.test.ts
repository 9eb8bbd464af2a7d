import { describe, expect, it } from "vitest";
import { LeaseTable } from "../src/durable/runs/lease-table";

describe("the in-memory lease table", () => {
  it("answers the earliest lease and the expired ones, earliest first", () => {
    const leases = new LeaseTable();
    leases.load([
      { id: "a", lease_expires_at: 300 },
      { id: "b", lease_expires_at: 100 },
      { id: "c", lease_expires_at: 200 },
    ]);
    expect(leases.earliest()).toBe(100);
    expect(leases.expired(250, 10)).toEqual(["b", "c"]);
    expect(leases.expired(250, 1)).toEqual(["b"]);
    leases.set("b", null);
    expect(leases.earliest()).toBe(200);
  });

  it("undoes the changes of a transaction that rolled back, nested ones included", () => {
    const leases = new LeaseTable();
    leases.load([{ id: "a", lease_expires_at: 100 }]);
    const outer = leases.journal.begin();
    leases.set("a", 500);
    const inner = leases.journal.begin();
    leases.set("b", 50);
    leases.journal.end(inner, false);
    expect(leases.earliest()).toBe(500);
    leases.set("c", 70);
    leases.journal.end(outer, false);
    expect(leases.expired(1_000, 10)).toEqual(["a"]);
    expect(leases.earliest()).toBe(100);
  });

  it("keeps the changes of a committed transaction", () => {
    const leases = new LeaseTable();
    const mark = leases.journal.begin();
    leases.set("a", 10);
    leases.journal.end(mark, true);
    const next = leases.journal.begin();
    leases.journal.end(next, false);
    expect(leases.earliest()).toBe(10);
  });
});
