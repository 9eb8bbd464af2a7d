// Values that test-node/support/global-setup.ts provides to the Node tests.
declare module "vitest" {
  export interface ProvidedContext {
    /** The running `npm run dev`, e.g. http://127.0.0.1:41234. */
    baseUrl: string;
    /** The ADMIN_TOKEN that `npm run dev` generated into .dev.vars. */
    adminToken: string;
    /** The copy of the project it runs in (its .dev.vars is there). */
    devDir: string;
    /** What `npm run dev` printed before wrangler's output. */
    devOutput: string;
    /** The webhook sink. */
    sinkUrl: string;
  }
}

export {};
