/** Every input limit in one place; the schemas and the OpenAPI document read them from here. */

export const LIMITS = {
  /** Bytes of a single request body. */
  maxBodyBytes: 256 * 1024,
  /** Bytes of a batch request body. */
  maxBatchBodyBytes: 8 * 1024 * 1024,
  maxBatchJobs: 1000,
  maxNameLength: 200,
  maxUrlLength: 2048,
  maxHeaders: 20,
  maxHeaderNameLength: 128,
  maxHeaderValueLength: 4096,
  /** Bytes of a target body once serialised. */
  maxTargetBodyBytes: 64 * 1024,
  /** Bytes of metadata once serialised. */
  maxMetadataBytes: 8 * 1024,
  maxMetadataKeys: 32,
  /** An `at` this far in the past still runs (clock skew); further back is a 400. */
  maxAtPastSeconds: 300,
  /** Neither `at` nor a delay may reach further than this. */
  maxScheduleAheadSeconds: 5 * 365 * 24 * 3600,
  maxAttempts: 25,
  maxBackoffSeconds: 24 * 3600,
  /** An http attempt: a queue consumer's invocation lasts at most 15 minutes. */
  maxTimeoutSeconds: 900,
  /** A pull worker's attempt (kept alive by heartbeats). */
  maxWorkerTimeoutSeconds: 24 * 3600,
  /** Pools one worker may serve, and runs one claim may take. */
  maxWorkerPools: 20,
  maxClaim: 100,
  /** Reports in one batch (`POST /v1/workers/{id}/reports`, or carried by a claim). */
  maxReportBatch: 100,
  /** A worker's lease: kept by claims and heartbeats for this long (a claim may choose). */
  defaultWorkerLeaseSeconds: 30,
  maxWorkerLeaseSeconds: 600,
  /** The longest long poll of a claim. */
  maxClaimWaitSeconds: 25,
  maxCheckpointBytes: 64 * 1024,
  maxResultBytes: 64 * 1024,
  maxProgressBytes: 4 * 1024,
  maxErrorLength: 4096,
  /** Workers a tenant's object remembers; those unseen for a day make room for new ones. */
  maxWorkers: 1000,
  maxCatchupWindowSeconds: 7 * 24 * 3600,
  maxPreviewCount: 100,
  maxPageSize: 200,
  /**
   * Runs of one job in progress at once (pending, queued, running, retrying). Further occurrences
   * are recorded `skipped`, triggers and replays get 409: a slow target under `overlap: "allow"`
   * cannot pile up runs without end, and cancel, pause and resume touch a bounded number of runs.
   */
  maxActiveRunsPerJob: 100,
  idempotencyKeyMaxLength: 255,
  /** How long an Idempotency-Key is remembered. */
  idempotencyTtlSeconds: 24 * 3600,
} as const;

export const DEFAULTS = {
  priority: "medium",
  overlap: "skip",
  retryOn: "any",
  maxAttempts: 3,
  initialBackoffSeconds: 2,
  maxBackoffSeconds: 600,
  timeoutSeconds: 30,
  catchupWindowSeconds: 300,
  timezone: "UTC",
  pageSize: 50,
  previewCount: 10,
} as const;
