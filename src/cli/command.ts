// What a command is to the front: its option table, its positionals, and what it does. The
// dispatcher (dispatch.ts) parses every command with the one tokenizer; --help is rendered from
// the same definitions (help.ts).
import type { Environment } from "../identity/env.ts";
import type { OptionTable, OptionValues } from "../options/option.ts";
import type { ByteString } from "../text/bytes.ts";

export interface Positional {
  name: string;
  description: string;
  /** Any number of further words (a syscall's arguments). */
  variadic?: true;
  optional?: true;
}

export interface Command<T extends OptionTable = OptionTable> {
  /** "caps", "seccomp compile". */
  name: string;
  description: string;
  options: T;
  positionals?: readonly Positional[];
  /** Lines shown under EXAMPLES in --help. */
  examples?: readonly string[];
  /** The usage after the command's name, when the positionals cannot say it ("[OPTIONS] -- COMMAND [ARGS…]"). */
  synopsis?: string;
  run(values: OptionValues<T>, positionals: ByteString[]): void | Promise<void>;
  /** A command with its own grammar and exit codes (`sbx exec`): it takes the words after its name. */
  runWords?(words: readonly ByteString[], env: Environment): Promise<void>;
}

export interface Group {
  name: string;
  description: string;
  /** Lines shown under EXAMPLES in --help. */
  examples?: readonly string[];
  subcommands: Readonly<Record<string, () => Promise<Command | Group>>>;
}

export const command = <T extends OptionTable>(c: Command<T>): Command => c as unknown as Command;
