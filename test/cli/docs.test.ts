// The docs and --help agree: every option a command's --help lists is documented, and every
// option the docs give a command exists. And every documented exit code of the read-only commands
// and of gosu mode is reached for real.
import { describe, expect, test } from "bun:test";
import { readFileSync, symlinkSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FactsSchema } from "../../src/doctor/schema.ts";
import { outerFilter } from "../support/outerFilter.ts";
import { capsh } from "../support/privileged.ts";
import { ROOT, run, SBX, sbx } from "../support/sbx.ts";

const doc = (path: string) => readFileSync(join(ROOT, path), "utf8");
const README = doc("README.md");

/** The long options a command's --help lists. */
const helpOptions = (args: string[]) => [...new Set([...sbx([...args, "--help"]).stdout.matchAll(/(?:^|[\s,])(--[a-z][a-z-]*)/gm)].map((m) => m[1]!))].filter((o) => o !== "--help");

describe("every option --help lists is documented, and every documented option exists", () => {
  test.each([
    [["exec"], doc("docs/exec.md")],
    [["caps"], README],
    [["doctor"], doc("docs/doctor.md")],
    [["seccomp", "compile"], doc("docs/seccomp.md")],
    [["seccomp", "check"], doc("docs/seccomp.md")],
    [["seccomp", "disasm"], doc("docs/seccomp.md")],
  ])("sbx %j", (args, text) => {
    const listed = helpOptions(args);
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.filter((o) => !text.includes(o))).toEqual([]);
  });

  test("each option in docs/exec.md's table is one sbx exec has", () => {
    const table = doc("docs/exec.md").split("## Options")[1]!.split("\n## ")[0]!;
    const documented = [...new Set([...table.matchAll(/`(--[a-z][a-z-]*)/g)].map((m) => m[1]!))];
    const listed = helpOptions(["exec"]);
    for (const o of documented) expect(listed, o).toContain(o);
  });

  test("each SBX_* variable gosu mode reads is in docs/exec.md, and each there is one it reads", () => {
    const dir = mkdtempSync(join(tmpdir(), "sbx-docs-"));
    try {
      symlinkSync(SBX, join(dir, "gosu"));
      const help = run([join(dir, "gosu"), "--help"]).stdout;
      const read = [...help.matchAll(/^ {2}(SBX_[A-Z_]+(?:<[A-Z]+>)?)/gm)].map((m) => m[1]!);
      const gosuDoc = doc("docs/exec.md").split("## gosu mode")[1]!;
      const documented = [...new Set([...gosuDoc.matchAll(/`(SBX_[A-Z_]+(?:<[A-Z]+>)?)`/g)].map((m) => m[1]!))];
      expect(read.length).toBeGreaterThan(5);
      expect([...documented].sort()).toEqual([...read].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("every documented exit code of the read-only commands, provoked", () => {
  const full = (args: string[]) => run(["sh", "-c", 'exec "$@" > /dev/full', "sh", SBX, ...args]);
  test.each([
    ["caps", 0, () => sbx(["caps"])],
    ["caps", 1, () => sbx(["caps", "--absent", "sys_admin"])],
    ["caps", 2, () => sbx(["caps", "--absent", "bogus"])],
    ["caps", 3, () => sbx(["caps", "--pid", "999999999"])],
    ["caps", 3, () => sbx(["caps"], { via: outerFilter([{ names: ["capget"], errnoRet: 1 }]) })],
    ["caps", 4, () => full(["caps"])],
    ["doctor", 0, () => sbx(["doctor"], { via: ["setpriv", "--reuid", "1000", "--regid", "1000", "--clear-groups", "--"] })],
    ["doctor", 1, () => sbx(["doctor"], { via: capsh("--drop=cap_setuid") })],
    ["doctor", 2, () => sbx(["doctor", "--bogus"])],
    ["doctor", 3, () => sbx(["doctor"], { via: outerFilter([{ names: ["capget"], errnoRet: 1 }]) })],
    ["doctor", 4, () => full(["doctor"])],
    ["--version", 0, () => sbx(["--version"])],
    ["--version", 4, () => full(["--version"])],
  ] as const)("sbx %s → %d", (_what, code, go) => {
    const r = go();
    expect(r.code).toBe(code);
    expect(r.stderr.split("\n").filter(Boolean).length).toBeLessThanOrEqual(code === 1 ? 40 : 1);
  });

  test("gosu mode: 0, 1 for its own failures, and the workload's code through", () => {
    const dir = mkdtempSync(join(tmpdir(), "sbx-docs-"));
    try {
      const g = join(dir, "gosu");
      symlinkSync(SBX, g);
      expect(run([g, "nobody", "true"]).code).toBe(0);
      for (const args of [[], ["bogus", "true"], ["nobody", "/no/such"], ["", "true"]]) expect(run([g, ...args]).code).toBe(1);
      expect(run([g, "nobody", "sh", "-c", "exit 42"]).code).toBe(42);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Dotted paths of the fields a valibot object schema lets be null. */
function nullablePaths(schema: unknown, at = ""): string[] {
  const s = schema as { type: string; wrapped?: unknown; entries?: Record<string, unknown> };
  if (s.type === "nullable") return [at, ...nullablePaths(s.wrapped, at)];
  if (!s.entries) return [];
  return Object.entries(s.entries).flatMap(([k, e]) => nullablePaths(e, at ? `${at}.${k}` : k));
}

test("docs/doctor.md names every field of sbx.doctor/1 that can be null", () => {
  const paths = nullablePaths(FactsSchema);
  expect(paths.length).toBeGreaterThan(10);
  const list = doc("docs/doctor.md").split("These fields can be `null`:")[1]!.split("\n\n")[1]!;
  const named = (p: string) => list.includes(`\`${p}\``);
  expect(paths.filter((p) => !named(p))).toEqual([]);
});
