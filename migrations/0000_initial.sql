CREATE TABLE `attempts` (
	`run_id` text NOT NULL,
	`attempt` integer NOT NULL,
	`outcome` text NOT NULL,
	`status_code` integer,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`duration_ms` integer,
	`response_body` text,
	`error` text,
	`worker_id` text,
	PRIMARY KEY(`run_id`, `attempt`)
);
--> statement-breakpoint
CREATE TABLE `counters` (
	`name` text NOT NULL,
	`labels` text NOT NULL,
	`value` integer NOT NULL,
	PRIMARY KEY(`name`, `labels`)
);
--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`key` text PRIMARY KEY NOT NULL,
	`request_hash` text NOT NULL,
	`job_id` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `idempotency_by_age` ON `idempotency_keys` (`created_at`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`schedule` text,
	`target` text NOT NULL,
	`priority` text NOT NULL,
	`priority_rank` integer NOT NULL,
	`max_attempts` integer NOT NULL,
	`initial_backoff_ms` integer NOT NULL,
	`max_backoff_ms` integer NOT NULL,
	`retry_on` text NOT NULL,
	`timeout_seconds` integer NOT NULL,
	`overlap` text NOT NULL,
	`catchup_window_seconds` integer NOT NULL,
	`metadata` text NOT NULL,
	`status` text NOT NULL,
	`next_run_at` integer,
	`last_run_id` text,
	`version` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `jobs_due` ON `jobs` (`priority_rank`,`next_run_at`) WHERE status = 'active' and next_run_at is not null;--> statement-breakpoint
CREATE INDEX `jobs_by_status` ON `jobs` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `jobs_by_priority` ON `jobs` (`priority`,`id`);--> statement-breakpoint
CREATE TABLE `runs` (
	`id` text PRIMARY KEY NOT NULL,
	`job_id` text NOT NULL,
	`key` text NOT NULL,
	`trigger` text NOT NULL,
	`status` text NOT NULL,
	`priority` text NOT NULL,
	`priority_rank` integer NOT NULL,
	`scheduled_for` integer NOT NULL,
	`attempt` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer NOT NULL,
	`due_at` integer NOT NULL,
	`dispatch_at` integer,
	`lease_expires_at` integer,
	`worker_id` text,
	`started_at` integer,
	`finished_at` integer,
	`last_error` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `runs_by_key` ON `runs` (`key`);--> statement-breakpoint
CREATE INDEX `runs_dispatch` ON `runs` (`priority_rank`,`dispatch_at`) WHERE dispatch_at is not null;--> statement-breakpoint
CREATE INDEX `runs_lease` ON `runs` (`lease_expires_at`) WHERE lease_expires_at is not null;--> statement-breakpoint
CREATE INDEX `runs_by_job` ON `runs` (`job_id`,`id`);--> statement-breakpoint
CREATE INDEX `runs_active_by_job` ON `runs` (`job_id`,`status`);--> statement-breakpoint
CREATE INDEX `runs_by_status` ON `runs` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `runs_finished` ON `runs` (`finished_at`) WHERE finished_at is not null;--> statement-breakpoint
CREATE TABLE `tenant` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`tier` text NOT NULL,
	`suspended` integer DEFAULT false NOT NULL,
	`max_in_flight` integer,
	`signing_secret` text NOT NULL,
	`previous_signing_secret` text,
	`previous_secret_expires_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`hash` text NOT NULL,
	`scope` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer
);
