// consola/core behind a module of sbx's own, so that log.ts can require() it at the first message:
// a require()d ESM file is its own chunk, loaded only when that require runs.
export { createConsola } from "consola/core";
