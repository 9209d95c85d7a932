// Our own front of citty: help only before `--` (so `sbx exec -- --help` runs a program named
// --help), unknown options refused instead of silently ignored, usage errors exit 2, and no
// colour codes when stdout is not a terminal.
import { type ArgsDef, type CommandDef, renderUsage, runCommand } from "citty";
import { EXIT } from "../exitCodes.ts";
import { die } from "./fail.ts";

type AnyCommand = CommandDef<ArgsDef>;

const resolve = async <T>(v: T | Promise<T> | (() => T | Promise<T>)): Promise<T> =>
  typeof v === "function" ? (v as () => T | Promise<T>)() : v;

const beforeDashDash = (args: string[]) => (args.includes("--") ? args.slice(0, args.indexOf("--")) : args);

interface Leaf {
  cmd: AnyCommand;
  parent?: AnyCommand;
  /** "sbx seccomp check": how the user named it, for messages. */
  path: string;
  args: string[];
}

/** The leaf command the arguments name, its parent, and the arguments that belong to it. */
async function leaf(cmd: AnyCommand, args: string[], path = "sbx"): Promise<Leaf> {
  const subs = await resolve(cmd.subCommands);
  const i = beforeDashDash(args).findIndex((a) => !a.startsWith("-"));
  const sub = subs && i >= 0 ? subs[args[i]!] : undefined;
  if (!sub) return { cmd, path, args };
  const inner = await leaf((await resolve(sub)) as AnyCommand, args.slice(i + 1), `${path} ${args[i]}`);
  return inner.parent ? inner : { ...inner, parent: cmd };
}

const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Option names this command accepts, with the type that tells whether a value follows. */
async function knownOptions(cmd: AnyCommand): Promise<Map<string, "boolean" | "string">> {
  const known = new Map<string, "boolean" | "string">([["help", "boolean"], ["h", "boolean"]]);
  for (const [name, def] of Object.entries((await resolve(cmd.args)) ?? {})) {
    if (def.type === "positional") continue;
    const type = def.type === "boolean" ? "boolean" : "string";
    const alias = (def as { alias?: string | string[] }).alias;
    const aliases = alias === undefined ? [] : Array.isArray(alias) ? alias : [alias];
    for (const n of [name, kebab(name), ...aliases]) known.set(n, type);
  }
  return known;
}

async function rejectUnknownOptions(cmd: AnyCommand, args: string[], path: string): Promise<void> {
  const known = await knownOptions(cmd);
  const own = beforeDashDash(args);
  for (let i = 0; i < own.length; i++) {
    const a = own[i]!;
    if (!a.startsWith("-") || a === "-") continue;
    if (/^-\d/.test(a)) {
      // citty would take "-1" for a short flag and drop it: say how to pass it instead.
      die(`"${a}" looks like an option to "${path}"; put negative values after -- (e.g. ${path} … -- ${a})`, EXIT.USAGE);
    }
    const name = a.replace(/^--?/, "").split("=")[0]!;
    const type = known.get(name) ?? (name.startsWith("no-") && known.get(name.slice(3)) === "boolean" ? "boolean" : undefined);
    if (!type) die(`unknown option "${a.split("=")[0]}" for "${path}" (see ${path} --help)`, EXIT.USAGE);
    if (type === "string" && !a.includes("=")) i++;
  }
}

async function usage(cmd: AnyCommand, parent?: AnyCommand): Promise<string> {
  const text = await renderUsage(cmd, parent);
  return process.stdout.isTTY ? text : text.replace(/\x1b\[[0-9;]*m/g, "");
}

export async function runCli(main: AnyCommand, argv: string[]): Promise<void> {
  const target = await leaf(main, argv);
  const path = target.path;
  const own = beforeDashDash(target.args);
  if (own.includes("--help") || own.includes("-h") || (target.cmd === main && argv.length === 0)) {
    process.stdout.write((await usage(target.cmd, target.parent)) + "\n");
    return;
  }
  if (target.cmd === main) {
    die(`unknown command "${argv[0]}" (see sbx --help)`, EXIT.USAGE);
  }
  await rejectUnknownOptions(target.cmd, target.args, path);
  try {
    // Parse from the leaf down: citty's root-level parse would read an option value such as
    // "-all,+net_bind_service" as a bundle of short flags.
    await runCommand(target.cmd, { rawArgs: target.args });
  } catch (e) {
    if (e instanceof Error && e.name === "CLIError") die(`${path}: ${e.message.toLowerCase()}`, EXIT.USAGE);
    throw e;
  }
}
