// Generated from pkg/catalogue by `make docs`; do not edit.

/** Every operation a grant may carry. */
export const OPERATIONS = ['use', 'read', 'edit', 'manage', 'create'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** The operations that include one another, weakest first. */
export const ORDERED: Operation[] = ['use', 'read', 'edit', 'manage'];

/** The rank of an ordered operation: a grant allows every operation of a lower rank. */
export const RANK: Record<string, number> = { use: 1, read: 2, edit: 3, manage: 4 };

/** What a grant of each operation allows. */
export const MEANINGS: Record<Operation, string> = {
  use: "invoke an AI gateway endpoint, or name a gateway secret or model definition in one's own gateway objects, without reading their configuration",
  read: "see it (and use it)",
  edit: "change it (and read it)",
  manage: "delete it and decide who has access (and edit it)",
  create: "create experiments, models and AI gateway objects in a project",
};

/** Element kinds (`<kind>:<key>`) in words. */
export const KIND_WORDS: Record<string, string> = {
  project: "project",
  experiment: "experiment",
  registered_model: "model",
  gateway_endpoint: "AI gateway endpoint",
  gateway_secret: "AI gateway secret",
  gateway_model_definition: "AI gateway model definition",
};
