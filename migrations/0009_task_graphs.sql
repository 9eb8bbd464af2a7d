DROP INDEX `runs_by_job`;--> statement-breakpoint
DROP INDEX `runs_active_by_job`;--> statement-breakpoint
DROP INDEX `runs_by_status`;--> statement-breakpoint
ALTER TABLE `runs` ADD `parent_id` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `task_key` text;--> statement-breakpoint
CREATE INDEX `runs_of_graph` ON `runs` (`parent_id`,`id`) WHERE parent_id is not null;--> statement-breakpoint
CREATE INDEX `runs_by_job` ON `runs` (`job_id`,`id`) WHERE task_key is null;--> statement-breakpoint
CREATE INDEX `runs_active_by_job` ON `runs` (`job_id`,`id`) WHERE status in ('pending', 'queued', 'running', 'retrying') and task_key is null;--> statement-breakpoint
CREATE INDEX `runs_by_status` ON `runs` (`status`,`id`) WHERE status in ('retrying', 'dead', 'cancelled', 'skipped', 'missed', 'upstream_failed', 'failed');