/**
 * Free-form JSON fields (a target's body): bounded in nesting depth as well as in size, because a
 * deeply nested value overflows the stack wherever it is later walked recursively (structured clone
 * into the object, JSON.stringify), which would answer 500 instead of 400.
 */
import { z } from "@hono/zod-openapi";

export const MAX_JSON_DEPTH = 32;

export const jsonByteLength = (value: unknown): number =>
  new TextEncoder().encode(JSON.stringify(value) ?? "").length;

/**
 * Whether `value` nests arrays/objects more than `limit` deep (`[]` is depth 1, a scalar 0).
 * Iterative, with an explicit stack, so that the check itself cannot overflow.
 */
export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const stack: [node: unknown, depth: number][] = [[value, 0]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [node, depth] = next;
    if (node === null || typeof node !== "object") continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** Any JSON value at most `MAX_JSON_DEPTH` deep and `maxBytes` long once serialised. */
export const boundedJson = (maxBytes: number) =>
  z
    .unknown()
    .refine((value) => !jsonDepthExceeds(value, MAX_JSON_DEPTH), {
      message: `must not nest arrays or objects more than ${MAX_JSON_DEPTH} deep`,
      // The size check below serialises recursively: it must not see a value this deep.
      abort: true,
    })
    .refine(
      (value) => value === undefined || jsonByteLength(value) <= maxBytes,
      `at most ${maxBytes} bytes once serialised`,
    );
