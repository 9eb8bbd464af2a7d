CREATE TABLE `workers` (
	`id` text PRIMARY KEY NOT NULL,
	`pools` text NOT NULL,
	`draining` integer DEFAULT false NOT NULL,
	`last_seen_at` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
DROP INDEX `runs_dispatch`;--> statement-breakpoint
ALTER TABLE `runs` ADD `pool` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `checkpoint` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `progress` text;--> statement-breakpoint
CREATE INDEX `runs_pool_ready` ON `runs` (`pool`,`priority_rank`,`dispatch_at`) WHERE dispatch_at is not null and pool is not null;--> statement-breakpoint
CREATE INDEX `runs_running_by_worker` ON `runs` (`worker_id`) WHERE status = 'running' and worker_id is not null;--> statement-breakpoint
CREATE INDEX `runs_dispatch` ON `runs` (`priority_rank`,`dispatch_at`) WHERE dispatch_at is not null and pool is null;