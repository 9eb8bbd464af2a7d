DROP INDEX `runs_active_by_job`;--> statement-breakpoint
CREATE INDEX `runs_finished_by_job` ON `runs` (`job_id`,`status`,`id`) WHERE finished_at is not null;--> statement-breakpoint
CREATE INDEX `runs_by_worker` ON `runs` (`worker_id`,`id`) WHERE worker_id is not null;--> statement-breakpoint
CREATE INDEX `runs_active_by_job` ON `runs` (`job_id`,`id`) WHERE status in ('pending', 'queued', 'running', 'retrying');