// Types for the drizzle-kit generated bundle of migrations (imported by the tenant object).
declare const migrations: {
  journal: { entries: { idx: number; when: number; tag: string; breakpoints: boolean }[] };
  migrations: Record<string, string>;
};
export default migrations;
