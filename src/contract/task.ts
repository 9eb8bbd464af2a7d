/**
 * Task graphs on the wire: a job's `tasks`, each with its own target and `depends_on`, and the
 * checks that make them a graph (unique keys, known dependencies, no self-dependency, no cycle).
 */
import { z } from "@hono/zod-openapi";
import { LIMITS } from "../domain/limits";
import { PRIORITIES } from "../domain/priority";

/** The most tasks one job may hold. */
export const MAX_TASKS = 100;

export const TaskKey = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/,
    "1-63 letters, digits, '_', '.' or '-', starting with a letter or digit",
  )
  .openapi({ description: "unique in its job; names the task in deliveries", example: "load" });

/**
 * A task. `target` is built by job.ts (it owns the target schemas) and passed in, so this module
 * does not import job.ts.
 */
export function taskSchema<T extends z.ZodType>(target: T) {
  return z
    .strictObject({
      key: TaskKey,
      target,
      depends_on: z
        .array(z.string().max(64))
        .max(MAX_TASKS)
        .default([])
        .openapi({ description: "keys of the tasks that must succeed before this one starts" }),
      priority: z.enum(PRIORITIES).optional().openapi({ description: "default: the job's" }),
      retry: z
        .strictObject({
          max_attempts: z.number().int().min(1).max(LIMITS.maxAttempts).optional(),
          initial_backoff_seconds: z.number().min(0.1).max(LIMITS.maxBackoffSeconds).optional(),
          max_backoff_seconds: z.number().min(0.1).max(LIMITS.maxBackoffSeconds).optional(),
        })
        .optional()
        .openapi({ description: "fields left out are the job's" }),
      retry_on: z.enum(["any", "transient"]).optional(),
      timeout_seconds: z
        .number()
        .int()
        .min(1)
        .max(LIMITS.maxWorkerTimeoutSeconds)
        .optional()
        .openapi({ description: "default: the job's" }),
    })
    .openapi("Task");
}

/** What a task needs to be a graph node (its key and dependencies). */
export interface GraphNode {
  key: string;
  depends_on: string[];
}

type AddIssue = (path: (string | number)[], message: string) => void;

/**
 * Reports what keeps `tasks` from being a graph: duplicate keys, unknown or repeated dependencies,
 * self-dependencies and cycles (one edge of each cycle), each at its own path.
 */
export function checkGraph(tasks: readonly GraphNode[], addIssue: AddIssue): void {
  const index = new Map<string, number>();
  tasks.forEach((task, i) => {
    if (index.has(task.key)) addIssue([i, "key"], `duplicate key "${task.key}"`);
    else index.set(task.key, i);
  });
  let broken = false;
  tasks.forEach((task, i) => {
    const seen = new Set<string>();
    task.depends_on.forEach((dep, j) => {
      if (dep === task.key) {
        addIssue([i, "depends_on", j], "a task cannot depend on itself");
        broken = true;
      } else if (!index.has(dep)) {
        addIssue([i, "depends_on", j], `no task has the key "${dep}"`);
        broken = true;
      } else if (seen.has(dep)) {
        addIssue([i, "depends_on", j], `"${dep}" is listed twice`);
      }
      seen.add(dep);
    });
  });
  if (broken) return;
  // Depth-first along depends_on: an edge back to a task still on the path closes a cycle.
  const state = new Map<number, "open" | "done">();
  const visit = (i: number, path: string[]): void => {
    state.set(i, "open");
    const task = tasks[i] as GraphNode;
    task.depends_on.forEach((dep, j) => {
      const d = index.get(dep) as number;
      if (state.get(d) === "open") {
        const cycle = [...path.slice(path.indexOf(dep)), task.key, dep].join(" -> ");
        addIssue([i, "depends_on", j], `cycle: ${cycle}`);
      } else if (!state.has(d)) visit(d, [...path, task.key]);
    });
    state.set(i, "done");
  };
  for (let i = 0; i < tasks.length; i++) if (!state.has(i)) visit(i, []);
}

/**
 * A topological order of the tasks: each task after all its dependencies, ties in declaration
 * order (the order the graph's tasks become ready when nothing fails).
 */
export function topologicalOrder(tasks: readonly GraphNode[]): string[] {
  const done = new Set<string>();
  const order: string[] = [];
  while (order.length < tasks.length) {
    const level = tasks.filter(
      (t) => !done.has(t.key) && t.depends_on.every((dep) => done.has(dep)),
    );
    if (level.length === 0) break; // not a graph (checked on input); never loop forever
    for (const t of level) {
      order.push(t.key);
    }
    for (const t of level) done.add(t.key);
  }
  return order;
}

/** The tasks that depend on `key`, directly or not. */
export function downstreamOf(tasks: readonly GraphNode[], key: string): Set<string> {
  const out = new Set<string>();
  let frontier = [key];
  while (frontier.length) {
    const next = tasks
      .filter((t) => !out.has(t.key) && t.depends_on.some((d) => frontier.includes(d)))
      .map((t) => t.key);
    for (const k of next) out.add(k);
    frontier = next;
  }
  return out;
}
