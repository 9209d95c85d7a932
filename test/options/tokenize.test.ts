// The one command-line grammar: a table of behaviours, then properties over random word lists.
import { describe, expect, test } from "bun:test";
import { EXEC_OPTIONS } from "../../src/options/exec.ts";
import { flagName, type OptionTable, parseValues, UsageError } from "../../src/options/option.ts";
import { tokenize } from "../../src/options/tokenize.ts";
import { CASES, pick, pieces, rng } from "../support/random.ts";

const TABLE = {
  user: { short: "u", value: "USER", help: "" },
  env: { value: "K=V", repeatable: true, help: "" },
  dryRun: { help: "" },
} as const satisfies OptionTable;

const t = (words: string[], mode: "optionsFirst" | "interleaved" = "optionsFirst") => tokenize(words, TABLE, { mode, path: "sbx x" });
const raw = (words: string[], mode?: "optionsFirst" | "interleaved") => Object.fromEntries(t(words, mode).raw);

describe("the grammar", () => {
  test.each([
    [["--user", "a", "cmd"], { user: ["a"] }, ["cmd"]],
    [["--user=a", "--", "cmd", "--user", "b"], { user: ["a"] }, ["cmd", "--user", "b"]],
    [["-u", "a", "cmd"], { user: ["a"] }, ["cmd"]],
    [["-ua", "cmd"], { user: ["a"] }, ["cmd"]],
    [["--user", "-all"], { user: ["-all"] }, []],
    [["--env", "A=1", "--env=B=2", "x"], { env: ["A=1", "B=2"] }, ["x"]],
    [["--dry-run", "-", "x"], { dryRun: true }, ["-", "x"]],
  ] as [string[], Record<string, string[] | true>, string[]][])("%j", (words, values, rest) => {
    expect(raw(words)).toEqual(values);
    expect(t(words).rest).toEqual(rest);
  });

  test.each([
    [["--user", "a", "--user", "b"], "--user is given more than once"],
    [["-u", "a", "--user=b"], "--user is given more than once"],
    [["--dry-run", "--dry-run"], "--dry-run is given more than once"],
    [["--dry-run=1"], "--dry-run takes no value"],
    [["--user"], "--user needs a value (USER)"],
    [["--bogus"], 'unknown option "--bogus" for "sbx x" (see sbx x --help)'],
    [["-x"], 'unknown option "-x" for "sbx x" (see sbx x --help)'],
    [["--us", "a"], 'unknown option "--us" for "sbx x"'],
  ])("%j is refused: %s", (words, message) => {
    expect(() => t(words)).toThrow(message);
  });

  test("interleaved: positionals among options before --; a negative number there is refused with the way out", () => {
    expect(t(["a", "--dry-run", "b", "--", "-1", "--user"], "interleaved")).toMatchObject({ rest: ["a", "b", "-1", "--user"] });
    expect(() => t(["a", "-1"], "interleaved")).toThrow('"-1" looks like an option to "sbx x"; put negative values after -- (e.g. sbx x … -- -1)');
  });

  test("a failure keeps what was read so far (e.g. --log-format before a bad option)", () => {
    try {
      t(["--user", "a", "--bogus"]);
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      expect(Object.fromEntries((e as UsageError).partial!)).toEqual({ user: ["a"] });
    }
  });
});

describe("property: random word lists over sbx exec's table", () => {
  const LONG = Object.keys(EXEC_OPTIONS).map((k) => `--${flagName(k)}`);
  const WORDS = [...LONG, "-u", "-h", "--help", "--", "-", "x", "nobody", "-all", "+net_raw", "=", "--user=", "--bogus", "-x", "1", "", "ocsf", "--log-format=ocsf", "A=1", "\n", "\xff"];

  test(`${CASES} command lines: only UsageError, no single-valued option twice, nothing after sbx's own words read`, () => {
    const next = rng();
    for (let i = 0; i < CASES; i++) {
      const n = Math.floor(next() * 8);
      const words = Array.from({ length: n }, () => pick(next, WORDS));
      const tail = ["--", "workload", "--user", "root", "--bogus"];
      let tokens: ReturnType<typeof tokenize>;
      try {
        tokens = tokenize([...words, ...tail], EXEC_OPTIONS, { mode: "optionsFirst", path: "sbx exec" });
        parseValues(EXEC_OPTIONS, tokens.raw, (k) => `--${flagName(k)}`);
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        expect(e.message).not.toContain("\n");
        continue;
      }
      // The workload's words are never options.
      expect(tokens.rest.slice(-4)).toEqual(["workload", "--user", "root", "--bogus"]);
      for (const [key, v] of tokens.raw) {
        const def = (EXEC_OPTIONS as OptionTable)[key]!;
        if (!def.repeatable && v !== true) expect(v).toHaveLength(1);
      }
    }
  });

  test(`${CASES} command lines with an unknown or a repeated option among sbx's own words: always refused`, () => {
    const next = rng(11);
    const keys = Object.keys(EXEC_OPTIONS) as (keyof typeof EXEC_OPTIONS)[];
    const wordsOf = (k: keyof typeof EXEC_OPTIONS) => ("value" in EXEC_OPTIONS[k] ? [`--${flagName(k)}`, "x"] : [`--${flagName(k)}`]);
    for (let i = 0; i < CASES; i++) {
      // Options given once each, as whole units (an option and its value), in random order.
      const units = [...new Set(Array.from({ length: Math.floor(next() * 4) }, () => pick(next, keys)))].map(wordsOf);
      const at = Math.floor(next() * (units.length + 1));
      const twice = pick(next, keys.filter((k) => !("repeatable" in EXEC_OPTIONS[k])));
      for (const bad of [[["--bogus"]], [wordsOf(twice), wordsOf(twice)]]) {
        const words = [...units.slice(0, at), ...bad, ...units.slice(at)].flat();
        expect(() => tokenize([...words, "--", "true"], EXEC_OPTIONS, { mode: "optionsFirst", path: "sbx exec" })).toThrow(UsageError);
      }
    }
  });

  test(`${CASES} values for every value option: a value or a one-line UsageError`, () => {
    const next = rng(7);
    const keys = Object.entries(EXEC_OPTIONS).filter(([, d]) => "value" in d).map(([k]) => k);
    for (let i = 0; i < CASES; i++) {
      const key = pick(next, keys);
      const value = pieces(next, ["0", "1", "-", "+", ",", "all", "net_raw", "TERM", "=", "A", "\n", "\x1b[31m", "99999999999", " ", "bounding", "ocsf"]);
      try {
        parseValues(EXEC_OPTIONS, new Map([[key, [value]]]), (k) => `--${flagName(k)}`);
      } catch (e) {
        if (!(e instanceof UsageError)) throw e;
        expect(e.message).not.toMatch(/[\n\x1b]/);
      }
    }
  });
});
