// The docs and --help agree: every option a command's --help lists is documented, and every
// option the docs give a command exists. And every documented exit code of the read-only commands
// and of gosu mode is reached for real.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, symlinkSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DANGEROUS_CAPS } from "../../src/caps/names.ts";
import * as v from "valibot";
import { FactsSchema } from "../../src/doctor/schema.ts";
import { EXEC_REPORT_SCHEMA, ExecReportSchema } from "../../src/render/report.ts";
import { STEP_EXIT } from "../../src/stepdown/exitCodes.ts";
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
    [["caps"], doc("docs/caps.md")],
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

test("docs/caps.md gives a reason for exactly the capabilities sbx counts as dangerous", () => {
  const table = doc("docs/caps.md").split("## Dangerous capabilities")[1]!.split("\n## ")[0]!;
  const rows = table.split("\n").filter((l) => l.startsWith("| `"));
  const named = rows.flatMap((l) => [...l.split("|")[1]!.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!));
  expect([...named].sort()).toEqual([...DANGEROUS_CAPS].sort());
});

/** GitHub's anchor for a heading: lower case, punctuation but `-` and `_` dropped, spaces to `-`. */
const slug = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");

test("every relative link in README.md and docs/ reaches a file and, with #, a heading there", () => {
  const files = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
  const anchors = (file: string) => [...doc(file).matchAll(/^#+ (.+)$/gm)].map((m) => slug(m[1]!));
  const broken = files.flatMap((file) =>
    [...doc(file).matchAll(/\]\(([^)\s]+)\)/g)]
      .map((m) => m[1]!)
      .filter((link) => !/^[a-z]+:/.test(link))
      .filter((link) => {
        const [path, anchor] = link.split("#") as [string, string | undefined];
        const target = path === "" ? file : join(dirname(file), path);
        if (!existsSync(join(ROOT, target))) return true;
        return anchor !== undefined && target.endsWith(".md") && !anchors(target).includes(anchor);
      })
      .map((link) => `${file}: ${link}`),
  );
  expect(broken).toEqual([]);
});

test("README's range of sbx exec's codes is the one exitCodes.ts has, and docs/exec.md lists each", () => {
  const codes: number[] = Object.values(STEP_EXIT);
  const steps = codes.filter((c) => c >= 200);
  expect(README.match(/one code per failing step \((\d+)–(\d+),/)?.slice(1).map(Number)).toEqual([Math.min(...steps), Math.max(...steps)]);
  const table = doc("docs/exec.md").split("## Exit codes")[1]!;
  expect(codes.filter((c) => !new RegExp(`^\\| ${c} \\|`, "m").test(table))).toEqual([]);
});

test("every OCSF finding id in src/ is in docs/exec.md's list, and every one listed is used", () => {
  const code = run(["grep", "-rhE", `"(bounding|supplementary|no-new|seccomp|landlock|sbx|stepdown|rlimit)-[a-z-]+"`, join(ROOT, "src")]).stdout
    .split("\n")
    .filter((l) => !/^\s*(\/\/|\/?\*)/.test(l) && !l.includes("mark(")); // not in comments, nor phase marks (src/phases.ts)
  const used = new Set(code.flatMap((l) => [...l.matchAll(/"((?:bounding|supplementary|no-new|seccomp|landlock|sbx|stepdown|rlimit)-[a-z-]+)"/g)].map((m) => m[1]!)));
  const table = doc("docs/exec.md").split("## OCSF findings")[1]!.split("\n## ")[0]!;
  const listed = new Set([...table.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]!));
  expect([...used].filter((id) => !listed.has(id))).toEqual([]);
  expect([...listed].filter((id) => !used.has(id))).toEqual([]);
});

test.each([[[]], [["exec"]], [["caps"]], [["doctor"]], [["seccomp"]], [["seccomp", "compile"]], [["seccomp", "disasm"]], [["seccomp", "check"]], [["seccomp", "list"]], [["seccomp", "export"]]])(
  "sbx %j --help: USAGE starts with sbx and it ends with examples",
  (args) => {
    const help = sbx([...args, "--help"]).stdout;
    expect(help).toMatch(/^USAGE sbx/m);
    expect(help).toMatch(/\nEXAMPLES\n\n( {2}\S.*\n)+$/);
  },
);

test("sbx doctor --help names every exit code docs/doctor.md lists", () => {
  const help = sbx(["doctor", "--help"]).stdout.replace(/\s+/g, " ");
  const codes = [...doc("docs/doctor.md").split("## Exit status")[1]!.split("\n## ")[0]!.matchAll(/^\| (\d+) \|/gm)].map((m) => m[1]!);
  expect(codes.length).toBeGreaterThan(3);
  expect(codes.filter((c) => !new RegExp(`\\b${c} (when|for)\\b`).test(help))).toEqual([]);
});

test("docs/exec.md lists the report's top-level keys, each once and in the schema's order", () => {
  const section = doc("docs/exec.md").split(`## The report (\`${EXEC_REPORT_SCHEMA}\`)`)[1]!.split("\n## ")[0]!;
  const listed = [...section.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]!);
  expect(listed).toEqual(Object.keys(ExecReportSchema.entries));
});

test("docs/exec.md's sample report is a valid sbx.exec-report document", () => {
  const sample = /<!-- report-sample -->\s*```json\n([\s\S]*?)```/.exec(doc("docs/exec.md"))![1]!;
  expect(v.parse(ExecReportSchema, JSON.parse(sample)).schema).toBe(EXEC_REPORT_SCHEMA);
});
