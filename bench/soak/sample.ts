// One sample of a soak: the processes' memory, the isolates' heaps, state on disk, counts.
import type { ProcMemory } from "./proc.ts";

export interface Sample {
  t_s: number;
  processes: ProcMemory[];
  workerd_rss_mb: number;
  runtime_rss_mb: number | null;
  runtime_anon_mb: number | null;
  heap_used_mb: number | null;
  heap_after_gc_mb: number | null;
  /** V8 heap committed for our isolate (used plus free space V8 keeps). */
  heap_committed_mb: number | null;
  array_buffers_mb: number | null;
  /** Committed V8 heap of the runtime's other isolates (Miniflare's), summed and by isolate. */
  internal_heaps_mb: number | null;
  /** Their heaps in use after a forced GC (once a minute). */
  internal_heaps_after_gc_mb: number | null;
  internal_heaps: Record<string, number>;
  /** Bytes on disk under --persist-to (the objects' SQLite files, queue and other local state). */
  state_mb: number;
  deliveries: number;
  jobs_created: number;
  wrangler_log_kb: number;
}
