import { logger } from "./log.ts";

/** Print one line and exit: what failed, on which input, and the likely cause. */
export function die(message: string, code: number): never {
  // The logger is made here, not at load: every command loads this module, few die, and making a
  // consola instance costs about 0.1 ms.
  logger("sbx").error(message);
  process.exit(code);
}
