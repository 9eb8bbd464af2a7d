// Vite's `?raw` imports (a file's text), used by tests that check documents such as docs/grafana/*.sql.
declare module "*?raw" {
  const text: string;
  export default text;
}
