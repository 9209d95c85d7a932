// `sbx [--help | --version] COMMAND [OPTIONS] [ARGS…]`: find the command (each module is loaded
// only when named), parse its words with the one grammar (options/tokenize.ts), run it. Every
// command line problem is one line and exit 2; nothing unknown is ignored.
import { EXIT } from "../exitCodes.ts";
import type { Environment } from "../identity/env.ts";
import { flagName, parseValues, UsageError } from "../options/option.ts";
import { tokenize } from "../options/tokenize.ts";
import type { ByteString } from "../text/bytes.ts";
import { quote } from "../text/quote.ts";
import { VERSION, versionLine } from "../version.ts";
import type { Command, Group } from "./command.ts";
import { die } from "./log.ts";
import { print } from "./output.ts";

export const ROOT: Group = {
  name: "sbx",
  description:
    "Safe, verifiable privilege step-down for container entrypoints. Also `sbx --version` (-V); invoked as `gosu` (a symlink) it is a drop-in for gosu 1.14",
  examples: ["sbx exec --user app -- \"$@\"", "sbx caps --empty all", "sbx doctor", "gosu app \"$@\"   (through a gosu symlink)"],
  subcommands: {
    caps: () => import("./caps.ts").then((m) => m.capsCommand),
    exec: () => import("./exec.ts").then((m) => m.execCommand),
    doctor: () => import("./doctor.ts").then((m) => m.doctorCommand),
    seccomp: () => import("./seccomp.ts").then((m) => m.seccompGroup),
  },
};

const isGroup = (c: Command | Group): c is Group => "subcommands" in c;

function checkPositionals(c: Command, got: readonly ByteString[], path: string): void {
  const specs = c.positionals ?? [];
  const required = specs.filter((p) => !p.optional && !p.variadic);
  if (got.length < required.length) throw new UsageError(`${path}: missing ${required[got.length]!.name.toUpperCase()} (see ${path} --help)`);
  if (!specs.some((p) => p.variadic) && got.length > specs.length) throw new UsageError(`${path}: unexpected argument ${quote(got[specs.length]!)} (see ${path} --help)`);
}

/** --help text: the renderer (citty) is loaded only for it. */
async function helpText(...args: Parameters<typeof import("./help.ts").helpText>): Promise<string> {
  return (await import("./help.ts")).helpText(...args);
}

export async function runCli(words: readonly ByteString[], env: Environment): Promise<void> {
  const noColor = env.get("NO_COLOR") !== undefined;
  let node: Command | Group = ROOT;
  let path = "sbx";
  let i = 0;
  while (isGroup(node)) {
    const w = words[i];
    if (w === undefined || w === "--help" || w === "-h") return print(await helpText(node, path, { noColor }, node === ROOT ? VERSION : undefined));
    if (node === ROOT && (w === "--version" || w === "-V")) return print(versionLine() + "\n");
    if (w.startsWith("-")) die(`unknown option ${quote(w.split("=")[0]!)} for "${path}" (see ${path} --help)`, EXIT.USAGE);
    const load: (() => Promise<Command | Group>) | undefined = Object.hasOwn(node.subcommands, w) ? node.subcommands[w] : undefined;
    if (!load) die(`unknown command ${quote(w)} (see ${path} --help)`, EXIT.USAGE);
    node = await load();
    path = `${path} ${w}`;
    i++;
  }
  const c: Command = node;
  if (c.runWords) return c.runWords(words.slice(i), env);
  try {
    const t = tokenize(words.slice(i), c.options, { mode: "interleaved", path });
    if (t.help) return print(await helpText(c, path, { noColor }));
    const values = parseValues(c.options, t.raw, (k) => `--${flagName(k)}`);
    checkPositionals(c, t.rest, path);
    await c.run(values, t.rest);
  } catch (e) {
    if (e instanceof UsageError) die(e.message, EXIT.USAGE);
    throw e;
  }
}
