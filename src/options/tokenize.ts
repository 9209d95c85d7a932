// The one command-line grammar of sbx, for every command:
//   --name VALUE, --name=VALUE, -x VALUE, -xVALUE; a flag is --name (no value, no =);
//   a single-valued option given twice is refused, as setpriv does (the last one would silently win);
//   an unknown option is refused, never ignored; `--` ends the options.
// Two modes: for `sbx exec` the first word that is not an option ends sbx's own words (the rest is
// the workload's argv, never read); for the other commands options and positionals interleave
// before `--`, and a word such as "-1" there is refused with how to pass it.
import type { ByteString } from "../text/bytes.ts";
import { quote } from "../text/quote.ts";
import { flagName, type OptionTable, type RawValues, UsageError } from "./option.ts";

export interface Tokens {
  raw: RawValues;
  /** interleaved: the positionals before `--` and every word after it; optionsFirst: the words after sbx's own. */
  rest: ByteString[];
  help: boolean;
}

export interface TokenizeOptions {
  mode: "optionsFirst" | "interleaved";
  /** "sbx caps": for messages. */
  path: string;
}

export function tokenize(words: readonly ByteString[], table: OptionTable, how: TokenizeOptions): Tokens {
  const raw: RawValues = new Map();
  try {
    return scan(words, table, how, raw);
  } catch (e) {
    if (e instanceof UsageError) e.partial = raw;
    throw e;
  }
}

function scan(words: readonly ByteString[], table: OptionTable, { mode, path }: TokenizeOptions, raw: RawValues): Tokens {
  const byLong = new Map<string, string>();
  const byShort = new Map<string, string>();
  for (const k of Object.keys(table)) {
    byLong.set(flagName(k), k);
    const short = table[k]!.short;
    if (short) byShort.set(short, k);
  }
  const rest: ByteString[] = [];
  let help = false;
  const unknown = (word: ByteString) => new UsageError(`unknown option ${quote(word)} for "${path}" (see ${path} --help)`);

  const put = (key: string, value: ByteString | true, shown: string) => {
    const def = table[key]!;
    const had = raw.get(key);
    if (had !== undefined && !def.repeatable) throw new UsageError(`${shown} is given more than once`);
    raw.set(key, value === true ? true : [...(had === undefined || had === true ? [] : had), value]);
  };

  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === "--") {
      rest.push(...words.slice(i + 1));
      break;
    }
    if (!w.startsWith("-") || w === "-") {
      if (mode === "optionsFirst") {
        rest.push(...words.slice(i));
        break;
      }
      rest.push(w);
      continue;
    }
    if (mode === "interleaved" && /^-\d/.test(w)) {
      throw new UsageError(`${quote(w)} looks like an option to "${path}"; put negative values after -- (e.g. ${path} … -- ${quote(w).slice(1, -1)})`);
    }
    const long = w.startsWith("--");
    const eq = long ? w.indexOf("=") : -1;
    const name = long ? w.slice(2, eq < 0 ? undefined : eq) : w.slice(1, 2);
    if (name === "help" || (!long && name === "h" && w.length === 2)) {
      if (eq >= 0) throw new UsageError(`--help takes no value`);
      help = true;
      continue;
    }
    const key = long ? byLong.get(name) : byShort.get(name);
    if (key === undefined) throw unknown(long ? w.slice(0, eq < 0 ? undefined : eq) : w);
    const def = table[key]!;
    const shown = long ? `--${name}` : `-${name}`;
    if (def.value === undefined) {
      if (eq >= 0 || (!long && w.length > 2)) throw new UsageError(`${shown} takes no value`);
      put(key, true, shown);
      continue;
    }
    let value: ByteString | undefined;
    if (long && eq >= 0) value = w.slice(eq + 1);
    else if (!long && w.length > 2) value = w.slice(2);
    else if (i + 1 < words.length) value = words[++i];
    if (value === undefined) throw new UsageError(`${shown} needs a value (${def.value})`);
    put(key, value, shown);
  }
  return { raw, rest, help };
}
