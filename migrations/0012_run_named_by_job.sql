DROP INDEX `runs_by_job`;--> statement-breakpoint
ALTER TABLE `runs` ADD `named_by_job` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX `runs_by_job` ON `runs` (`job_id`,`id`) WHERE task_key is null and named_by_job = 0;