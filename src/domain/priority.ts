/** Run priorities and their dispatch order (lower rank goes first). */

export const PRIORITIES = ["high", "medium", "low"] as const;
export type Priority = (typeof PRIORITIES)[number];

export const PRIORITY_RANK: Record<Priority, number> = { high: 0, medium: 1, low: 2 };
