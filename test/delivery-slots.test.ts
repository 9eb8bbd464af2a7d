import { describe, expect, it } from "vitest";
import { DELIVERY_SLOTS, DeliverySlots } from "../src/queues/delivery-slots";

describe("delivery slots of a consumer invocation", () => {
  it("runs at most six deliveries at once and runs every one, in order of arrival", async () => {
    const slots = new DeliverySlots();
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const gates: (() => void)[] = [];
    const all = Array.from({ length: 20 }, (_, i) =>
      slots.run(async () => {
        started.push(i);
        running++;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => gates.push(resolve));
        running--;
        return i;
      }),
    );
    // Release the deliveries one at a time, as their answers would arrive.
    while (started.length < 20 || gates.length) {
      await new Promise((r) => setTimeout(r, 0));
      gates.shift()?.();
    }
    expect(await Promise.all(all)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(most).toBe(DELIVERY_SLOTS);
    expect(started).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("frees a slot when a delivery throws", async () => {
    const slots = new DeliverySlots(1);
    await expect(slots.run(async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await slots.run(async () => "next")).toBe("next");
  });
});
