// How a front end (sbx exec, gosu mode) speaks about failures and degradations. The effect layer
// only describes what went wrong; the voice chooses wording and exit code, writes synchronously
// to fd 2 and, for failures, _exits: an error never returns into JS control flow.
import type { CommandLookup } from "../user/lookPath.ts";
import type { Degraded } from "./degrade.ts";
import type { Step } from "./exitCodes.ts";

export type Failure =
  /** A step failed or was refused. `errno` when a system call said no. */
  | { kind: "step"; step: Step; message: string; findingUid: string | null; errno: number | null }
  /** The command could not be found or used as the target user. */
  | { kind: "lookup"; lookup: Exclude<CommandLookup, { kind: "found" }> }
  /** execve itself failed. */
  | { kind: "exec"; path: string; errno: number; message: string };

export interface Voice {
  fail(f: Failure): never;
  degraded(d: Degraded): void;
}
