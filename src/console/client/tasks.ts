/**
 * Task graphs: a job with `tasks` instead of a `target`, whose runs have a task run per task. Read
 * through these shapes, so the console works with an API with or without them. Pure (tested in
 * Node).
 */
import type { Attempt, Job, RunDetail } from "../../client/index.ts";

export type Target = NonNullable<Job["target"]>;

export interface TaskSpec {
  key: string;
  target: Target;
  depends_on?: string[];
  priority?: "high" | "medium" | "low";
  retry?: { max_attempts?: number; initial_backoff_seconds?: number; max_backoff_seconds?: number };
  retry_on?: "any" | "transient";
  timeout_seconds?: number;
}

export interface TaskRun {
  key: string;
  run_id: string;
  status: string;
  depends_on: string[];
  attempt: number;
  max_attempts: number;
  next_attempt_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  last_error: string | null;
  pool: string | null;
  worker_id: string | null;
  attempts: Attempt[];
}

/** A job's tasks, or null for a job with a single target. */
export function jobTasks(job: Job): TaskSpec[] | null {
  const tasks = (job as { tasks?: TaskSpec[] | null }).tasks;
  return tasks?.length ? tasks : null;
}

/** A run's task runs and dependency edges, or null for a run without tasks. */
export function runGraph(
  run: RunDetail,
): { tasks: TaskRun[]; edges: { from: string; to: string }[] } | null {
  const graph = run as { tasks?: TaskRun[]; edges?: { from: string; to: string }[] };
  return graph.tasks?.length ? { tasks: graph.tasks, edges: graph.edges ?? [] } : null;
}

/** The occurrence a task run belongs to, or null for a run that is not a task. */
export function parentOf(run: { id: string }): string | null {
  const parent = (run as { parent_run_id?: string | null }).parent_run_id ?? null;
  return parent && parent !== run.id ? parent : null;
}

/** The task key of a run that is a task of a graph, or null. */
export function taskKeyOf(run: { id: string }): string | null {
  return (run as { task_key?: string | null }).task_key ?? null;
}

export interface GraphNode {
  key: string;
  status?: string;
  detail?: string;
}

export interface GraphEdge {
  from: string;
  to: string;
}

/** Each node's column: 0 for a node without dependencies, else one more than its deepest one. */
export function layers(nodes: GraphNode[], edges: GraphEdge[]): Map<string, number> {
  const deps = new Map<string, string[]>(nodes.map((n) => [n.key, []]));
  for (const e of edges) deps.get(e.to)?.push(e.from);
  const level = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (key: string): number => {
    const known = level.get(key);
    if (known !== undefined) return known;
    if (visiting.has(key)) return 0; // a cycle (the API refuses them): stop here
    visiting.add(key);
    const value = Math.max(-1, ...(deps.get(key) ?? []).map(visit)) + 1;
    visiting.delete(key);
    level.set(key, value);
    return value;
  };
  for (const n of nodes) visit(n.key);
  return level;
}
