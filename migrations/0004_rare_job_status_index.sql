DROP INDEX `jobs_by_status`;--> statement-breakpoint
CREATE INDEX `jobs_by_status` ON `jobs` (`status`,`id`) WHERE status in ('paused', 'cancelled');