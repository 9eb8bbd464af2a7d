// Values that test/support/global-setup.ts provides to tests running inside workerd.
declare module "vitest" {
  export interface ProvidedContext {
    sinkUrl: string;
  }
}

export {};
