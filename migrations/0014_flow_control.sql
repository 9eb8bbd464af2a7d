CREATE TABLE `flow_buckets` (
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`tokens` real NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`kind`, `name`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `flow_limits` (
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`limits` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`kind`, `name`)
) WITHOUT ROWID;
--> statement-breakpoint
DROP INDEX `runs_pool_ready`;--> statement-breakpoint
ALTER TABLE `runs` ADD `flow_key` text;--> statement-breakpoint
ALTER TABLE `runs` ADD `destination` text;--> statement-breakpoint
ALTER TABLE `jobs` ADD `flow_key` text;--> statement-breakpoint
ALTER TABLE `tenant` ADD `default_flow_limits` text;