import { writeStderr } from "../sys/process.ts";

/** A failure the user can act on: one line on stderr, then this exit code. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

/** Print one line and exit. Synchronous, so nothing is lost to buffered console output. */
export function die(message: string, code: number): never {
  writeStderr(`sbx: ${message}`);
  process.exit(code);
}
