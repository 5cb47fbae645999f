// The libraries of rules/lib/, by their path from rules/ (LANGUAGE.md §9.1): `compile`'s
// `files`, so that a policy of the menu or of a shared link may import them.
export const LIBRARIES = Object.fromEntries(
  Object.entries(import.meta.glob("../../rules/lib/**/*.policy", { query: "?raw", import: "default", eager: true }))
    .map(([path, text]) => [path.slice("../../rules/".length), text]),
);
