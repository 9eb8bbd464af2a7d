/**
 * The tenant object's folders import one way (docs/architecture.md): a module may import its own
 * folder and the folders listed before it, and only the object's root files import the folders'
 * entry points freely. An import the other way is a cycle waiting to happen.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = new URL("../src/durable/", import.meta.url).pathname;
const ORDER = [
  "storage",
  "metrics",
  "tenant",
  "jobs",
  "runs",
  "graphs",
  "flow",
  "dispatch",
  "lifecycle",
  "workers",
];

describe("src/durable imports go one way", () => {
  it("no folder imports a folder after it, or the object's root files", () => {
    const wrong: string[] = [];
    const folders = readdirSync(ROOT, { withFileTypes: true }).filter((e) => e.isDirectory());
    for (const folder of folders) {
      const rank = ORDER.indexOf(folder.name);
      expect(rank, `folder ${folder.name} is not in the layer order`).toBeGreaterThanOrEqual(0);
      for (const file of readdirSync(join(ROOT, folder.name))) {
        const text = readFileSync(join(ROOT, folder.name, file), "utf8");
        for (const [, spec] of text.matchAll(/from "(\.\.\/[^"]+)"/g)) {
          const parts = (spec as string).split("/");
          if (parts[1] === "..") continue; // outside src/durable (domain, contract, ...)
          const target = parts.length === 2 ? "(root)" : (parts[1] as string);
          const targetRank = target === "(root)" ? ORDER.length : ORDER.indexOf(target);
          if (targetRank > rank) wrong.push(`${folder.name}/${file} -> ${spec}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});
