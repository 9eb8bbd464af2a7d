/** The console's entry: renders the app into the page the Worker served (src/console/page.ts). */
import { render } from "hono/jsx/dom";
import { App } from "./app";

const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(<App />, root);
}
