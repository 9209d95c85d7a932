import { logger } from "./log.ts";

const log = logger("sbx");

/** Print one line and exit: what failed, on which input, and the likely cause. */
export function die(message: string, code: number): never {
  log.error(message);
  process.exit(code);
}
