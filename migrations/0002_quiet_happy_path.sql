DROP INDEX `runs_finished_by_job`;--> statement-breakpoint
DROP INDEX `runs_finished`;--> statement-breakpoint
DROP INDEX `runs_by_status`;--> statement-breakpoint
CREATE INDEX `runs_by_status` ON `runs` (`status`,`id`) WHERE status in ('pending', 'retrying', 'dead', 'cancelled', 'skipped', 'missed');