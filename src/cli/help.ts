// --help, rendered by citty from the same option tables the tokenizer reads. citty is used for
// what it does well here — laying out a command's usage — and not for parsing: sbx's grammar is
// stricter (options/tokenize.ts). Plain text unless stdout is a terminal and NO_COLOR is unset.
import { type ArgsDef, type CommandDef, renderUsage } from "citty";
import { flagName, type OptionTable } from "../options/option.ts";
import { isTerminal } from "../sys/process.ts";
import type { Command, Group } from "./command.ts";

function args(options: OptionTable, positionals: Command["positionals"] = []): ArgsDef {
  const out: ArgsDef = {};
  for (const p of positionals) out[p.name] = { type: "positional", description: p.description, required: !p.optional && !p.variadic };
  for (const [key, d] of Object.entries(options)) {
    out[flagName(key)] = d.value === undefined
      ? { type: "boolean", description: d.help, ...(d.short ? { alias: d.short } : {}) }
      : { type: "string", description: d.help, valueHint: d.value, ...(d.short ? { alias: d.short } : {}) };
  }
  return out;
}

const plain = (text: string, color: boolean) => (color ? text : text.replace(/\x1b\[[0-9;]*m/g, ""));

/** The synopsis: [OPTIONS] only when there are options; positionals as <NAME>, [ARGS…] when optional or many. */
function synopsis(c: Command, path: string): string {
  if (c.synopsis) return `${path} ${c.synopsis}`;
  const words = [
    path,
    ...(Object.keys(c.options).length ? ["[OPTIONS]"] : []),
    ...(c.positionals ?? []).map((p) => (p.variadic ? `[${p.name.toUpperCase()}…]` : p.optional ? `[${p.name.toUpperCase()}]` : `<${p.name.toUpperCase()}>`)),
  ];
  return words.join(" ");
}

/** The help text of a command or group; `path` is how it is invoked ("sbx seccomp compile"). */
export async function helpText(c: Command | Group, path: string, env: { noColor: boolean }, version?: string): Promise<string> {
  const words = path.split(" ");
  const parent: CommandDef | undefined = words.length > 1 ? { meta: { name: words.slice(0, -1).join(" ") } } : undefined;
  const def: CommandDef = {
    meta: { name: words.at(-1), description: c.description, ...(version ? { version } : {}) },
    args: "options" in c ? args(c.options, c.positionals) : {},
    ...("subcommands" in c ? { subCommands: Object.fromEntries(await Promise.all(Object.entries(c.subcommands).map(async ([n, load]) => [n, { meta: { name: n, description: (await load()).description } }]))) } : {}),
  };
  let text = await renderUsage(def, parent);
  // citty's own USAGE line shows [OPTIONS] for positionals too and cannot show `-- COMMAND`.
  if ("options" in c) text = text.replace(/^(\S*USAGE\S*) .*$/m, (_m, label: string) => `${label} ${synopsis(c, path)}`);
  if ("examples" in c && c.examples?.length) text += `\n\nEXAMPLES\n\n${c.examples.map((e) => `  ${e}`).join("\n")}`;
  return plain(text, isTerminal(1) && !env.noColor) + "\n";
}
