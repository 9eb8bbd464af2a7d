DROP INDEX `runs_by_status`;--> statement-breakpoint
CREATE INDEX `runs_by_status` ON `runs` (`status`,`id`) WHERE status in ('retrying', 'dead', 'cancelled', 'skipped', 'missed');