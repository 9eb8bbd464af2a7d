/** Small builders for route definitions, shared by every route module. */
import { z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { ProblemError, problem } from "../../domain/problem";

/** Route middleware: a body over `maxSize` bytes is a 413 problem. */
export const tooLarge = (maxSize: number) =>
  bodyLimit({
    maxSize,
    onError: () => {
      throw new ProblemError(problem(413, `The request body exceeds ${maxSize} bytes.`));
    },
  });

/** A JSON response of `schema`. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

/** A required JSON request body of `schema`. */
export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  body: { content: { "application/json": { schema } }, required: true },
});

/** The `{id}` path parameter of jobs and runs. */
export const IdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "id", in: "path" } }),
});
