DROP INDEX `runs_dispatch`;--> statement-breakpoint
CREATE TABLE `runs_clustered` (
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
	`created_at` integer NOT NULL,
	`attempt_record` text,
	`pool` text,
	`checkpoint` text,
	`progress` text,
	`parent_id` text,
	`task_key` text
) WITHOUT ROWID;--> statement-breakpoint
INSERT INTO `runs_clustered` SELECT `id`, `job_id`, `key`, `trigger`, `status`, `priority`, `priority_rank`, `scheduled_for`, `attempt`, `max_attempts`, `due_at`, `dispatch_at`, `lease_expires_at`, `worker_id`, `started_at`, `finished_at`, `last_error`, `created_at`, `attempt_record`, `pool`, `checkpoint`, `progress`, `parent_id`, `task_key` FROM `runs`;--> statement-breakpoint
DROP TABLE `runs`;--> statement-breakpoint
ALTER TABLE `runs_clustered` RENAME TO `runs`;--> statement-breakpoint
CREATE INDEX `runs_pool_ready` ON `runs` (`pool`,`priority_rank`,`dispatch_at`) WHERE dispatch_at is not null and pool is not null;--> statement-breakpoint
CREATE INDEX `runs_by_job` ON `runs` (`job_id`,`id`) WHERE task_key is null;--> statement-breakpoint
CREATE INDEX `runs_by_status` ON `runs` (`status`,`id`) WHERE status in ('retrying', 'dead', 'cancelled', 'skipped', 'missed', 'upstream_failed', 'failed');--> statement-breakpoint
CREATE INDEX `runs_by_worker` ON `runs` (`worker_id`,`id`) WHERE worker_id is not null;--> statement-breakpoint
CREATE INDEX `runs_of_graph` ON `runs` (`parent_id`,`id`) WHERE parent_id is not null;--> statement-breakpoint
CREATE INDEX `runs_running_by_worker` ON `runs` (`worker_id`) WHERE status = 'running' and worker_id is not null;--> statement-breakpoint
CREATE TABLE `counters_clustered` (
	`name` text NOT NULL,
	`labels` text NOT NULL,
	`value` integer NOT NULL,
	PRIMARY KEY(`name`, `labels`)
) WITHOUT ROWID;--> statement-breakpoint
INSERT INTO `counters_clustered` SELECT `name`, `labels`, `value` FROM `counters`;--> statement-breakpoint
DROP TABLE `counters`;--> statement-breakpoint
ALTER TABLE `counters_clustered` RENAME TO `counters`;
