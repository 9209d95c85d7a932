// One table per command, one grammar. Each option is defined once — name, value, help, how its
// value is validated (a valibot schema), where the exec report shows it, and its SBX_* name in
// gosu mode — and everything else is derived from the table: the tokenizer (tokenize.ts), the
// validated values (parseValues), --help (cli/help.ts), the report's `asked`, gosu's variables.
import * as v from "valibot";
import type { ByteString } from "../text/bytes.ts";
import { quote } from "../text/quote.ts";

export class UsageError extends Error {
  /** What the tokenizer had read of sbx's own words when this was raised (e.g. to know --log-format). */
  partial?: RawValues;
}

/** A schema from the option's raw text to its value; `shown` is how the option was named (--user, SBX_CAPS). */
export type ValueSchema<T = unknown> = (shown: string) => v.GenericSchema<ByteString, T>;

export interface OptionDef {
  /** One-letter alias: "u" for -u. */
  readonly short?: string;
  /** The value's placeholder for --help ("USER[:GROUP]"); absent for a flag, which takes no value. */
  readonly value?: string;
  readonly schema?: ValueSchema;
  /** May be given more than once (each value is kept, in order). */
  readonly repeatable?: true;
  readonly help: string;
  /** The key of this option in the exec report's `asked`. */
  readonly report?: string;
  /**
   * How `asked` shows it when not a string (a flag is a boolean, a value a string or null);
   * "list": a repeatable option whose values carry their `text`, shown as the list of texts ([] when not given).
   */
  readonly reportAs?: "count" | "degradations" | "list";
  /** The environment variable gosu mode reads it from. A flag's variable takes 0 or 1. */
  readonly env?: string;
  /** The variable's help in gosu mode, where it differs from the option's. */
  readonly envHelp?: string;
  /**
   * A repeatable option's variables in gosu mode: every variable named PREFIX + a suffix is one
   * value — the value itself, or (as "suffix=value") "NAME=VALUE" with the suffix as NAME
   * (SBX_RLIMIT_NOFILE=1024 is --rlimit NOFILE=1024).
   */
  readonly envEach?: { readonly prefix: string; readonly as: "value" | "suffix=value"; readonly shown: string };
}

export type OptionTable = Readonly<Record<string, OptionDef>>;

/** "boundingSet" → "bounding-set": the long name of a table key. */
export function flagName(key: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 65 || c > 90) continue;
    out += `${key.slice(from, i)}-${String.fromCharCode(c + 32)}`;
    from = i + 1;
  }
  return from === 0 ? key : out + key.slice(from);
}

type ValueOf<D extends OptionDef> = D["schema"] extends ValueSchema<infer T> ? T : boolean;

/** The validated values of a table: absent when not given. */
export type OptionValues<T extends OptionTable> = {
  -readonly [K in keyof T]?: T[K]["repeatable"] extends true ? ValueOf<T[K]>[] : ValueOf<T[K]>;
};

/** What the tokenizer (or gosu's environment) found: raw texts by key, `true` for a flag. */
export type RawValues = Map<string, ByteString[] | true>;

/** Validate raw values against the table; the first problem is a UsageError naming the option as `shown(key)`. */
export function parseValues<T extends OptionTable>(table: T, raw: RawValues, shown: (key: string) => string): OptionValues<T> {
  const values: Record<string, unknown> = {};
  for (const key of Object.keys(table)) {
    const given = raw.get(key);
    if (given === undefined) continue;
    if (given === true) {
      values[key] = true;
      continue;
    }
    const def = table[key]!;
    if (!def.schema) throw new Error(`option table: ${key} has a value but no schema`);
    const schema = def.schema(shown(key));
    if (!def.repeatable) values[key] = run(schema, given[0]!);
    else {
      const all: unknown[] = [];
      for (const g of given) all.push(run(schema, g));
      values[key] = all;
    }
  }
  return values as OptionValues<T>;
}

function run<T>(schema: v.GenericSchema<ByteString, T>, input: ByteString): T {
  const r = v.safeParse(schema, input);
  if (!r.success) throw new UsageError(r.issues[0]!.message);
  return r.output;
}

// Value schemas. Messages quote the value (one line, escaped) and name the option as given.

export const anyText: ValueSchema<ByteString> = () => v.string();

export const nonEmpty: ValueSchema<ByteString> = (shown) => v.pipe(v.string(), v.nonEmpty(`${shown} needs a value`));

/** A decimal count or fd number: digits only (no "3x", "-1", "0x3"), at most `max`. */
export const count = (max: number): ValueSchema<number> => (shown) =>
  v.pipe(
    v.string(),
    v.regex(/^\d{1,10}$/, (i) => `${shown} needs a number, not ${quote(String(i.input))}`),
    v.transform(Number),
    v.maxValue(max, `${shown} is at most ${max}`),
  );

export const choice = <const C extends readonly string[]>(choices: C): ValueSchema<C[number]> => (shown) =>
  v.picklist(choices, (i) => `${shown} must be ${choices.join(" or ")}, not ${quote(String(i.input))}`);

/** A value parsed by a domain function that throws a message-bearing error for bad input. */
export const parsedBy = <T>(parse: (text: ByteString, shown: string) => T): ValueSchema<T> => (shown) =>
  v.pipe(
    v.string(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      try {
        return parse(dataset.value, shown);
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        addIssue({ message: e.message });
        return NEVER;
      }
    }),
  );
