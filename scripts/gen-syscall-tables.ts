// Generates src/seccomp/tables/*.ts (syscall name → number per ABI, and every name Linux uses on
// some other architecture) from the kernel tables committed under scripts/data/syscalls/linux/.
//
//   bun scripts/gen-syscall-tables.ts
//
// test/seccomp/tables.test.ts runs generateTables() and compares its output with the committed files.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

export const DATA_DIR = join(import.meta.dir, "data", "syscalls");
export const OUT_DIR = join(import.meta.dir, "..", "src", "seccomp", "tables");

// include/uapi/linux/audit.h and elf-em.h: AUDIT_ARCH_* = EM_* | __AUDIT_ARCH_64BIT? | __AUDIT_ARCH_LE.
const AUDIT_ARCH_64BIT = 0x80000000;
const AUDIT_ARCH_LE = 0x40000000;
const EM_386 = 3;
const EM_X86_64 = 62;
const EM_AARCH64 = 183;
// arch/x86/include/uapi/asm/unistd.h: x32 syscalls are numbered from __X32_SYSCALL_BIT.
const X32_SYSCALL_BIT = 0x40000000;

interface AbiSpec {
  /** Output module and constant prefix. */
  id: "x86_64" | "x32" | "i386" | "aarch64";
  table: string;
  abis: string[];
  auditArch: number;
  numberBase: number;
}

interface TableEntry {
  nr: number;
  abi: string;
  name: string;
}

const X86_64_TABLE = "arch/x86/entry/syscalls/syscall_64.tbl";
const I386_TABLE = "arch/x86/entry/syscalls/syscall_32.tbl";
const GENERIC_TABLE = "scripts/syscall.tbl";
const ARM64_ABIS = "arch/arm64/kernel/Makefile.syscalls";
const ARM_PRIVATE = "arch/arm/include/uapi/asm/unistd.h";

function abiSpecs(linux: string): AbiSpec[] {
  const le64 = AUDIT_ARCH_64BIT | AUDIT_ARCH_LE;
  return [
    { id: "x86_64", table: X86_64_TABLE, abis: ["common", "64"], auditArch: (EM_X86_64 | le64) >>> 0, numberBase: 0 },
    { id: "x32", table: X86_64_TABLE, abis: ["common", "x32"], auditArch: (EM_X86_64 | le64) >>> 0, numberBase: X32_SYSCALL_BIT },
    { id: "i386", table: I386_TABLE, abis: ["i386"], auditArch: (EM_386 | AUDIT_ARCH_LE) >>> 0, numberBase: 0 },
    {
      id: "aarch64",
      table: GENERIC_TABLE,
      abis: ["common", "64", ...arm64ExtraAbis(readFileSync(join(linux, ARM64_ABIS), "utf8"))],
      auditArch: (EM_AARCH64 | le64) >>> 0,
      numberBase: 0,
    },
  ];
}

/** The `syscall_abis_64 += …` line: which optional entries of scripts/syscall.tbl arm64 builds. */
function arm64ExtraAbis(makefile: string): string[] {
  const line = makefile.split("\n").find((l) => l.startsWith("syscall_abis_64"));
  if (!line) throw new Error(`${ARM64_ABIS}: no syscall_abis_64 line`);
  return line.replace(/^syscall_abis_64\s*\+?=/, "").trim().split(/\s+/).filter(Boolean);
}

/** `<number> <abi> <name> [<entry point> …]`, one per line; `#` starts a comment line. */
export function parseTable(text: string): TableEntry[] {
  const entries: TableEntry[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const [nr, abi, name] = line.trim().split(/\s+/);
    if (nr === undefined || abi === undefined || name === undefined || !/^\d+$/.test(nr)) {
      throw new Error(`unparsable syscall table line: ${JSON.stringify(line)}`);
    }
    entries.push({ nr: Number(nr), abi, name });
  }
  return entries;
}

function numbersFor(spec: AbiSpec, entries: TableEntry[]): Map<string, number> {
  const numbers = new Map<string, number>();
  for (const e of entries) {
    if (!spec.abis.includes(e.abi)) continue;
    const nr = spec.numberBase + e.nr;
    const seen = numbers.get(e.name);
    if (seen !== undefined && seen !== nr) throw new Error(`${spec.id}: ${e.name} is both ${seen} and ${nr}`);
    numbers.set(e.name, nr);
  }
  return numbers;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Names of every entry in every other architecture's table, plus the ARM private calls. */
function namesElsewhere(linux: string, own: ReadonlySet<string>): { names: string[]; sources: string[] } {
  const ownTables = new Set([X86_64_TABLE, I386_TABLE]);
  const tables = filesUnder(linux)
    .map((p) => relative(linux, p))
    .filter((p) => p.endsWith(".tbl") && !ownTables.has(p))
    .sort();
  const names = new Set<string>();
  for (const t of tables) for (const e of parseTable(readFileSync(join(linux, t), "utf8"))) names.add(e.name);
  // `#define __ARM_NR_set_tls (__ARM_NR_BASE+5)` and aliases like `#define __NR_sync_file_range2 …`.
  for (const m of readFileSync(join(linux, ARM_PRIVATE), "utf8").matchAll(/^#define __(?:ARM_)?NR_([a-z]\w*)\s/gm)) {
    names.add(m[1]!);
  }
  return { names: [...names].filter((n) => !own.has(n)).sort(), sources: [...tables, ARM_PRIVATE] };
}

function kernelSource(dataDir: string): string {
  const m = /^Source: (.+)$/m.exec(readFileSync(join(dataDir, "README.md"), "utf8"));
  if (!m) throw new Error(`${dataDir}/README.md: no "Source:" line`);
  return m[1]!;
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;

function tableModule(spec: AbiSpec, numbers: Map<string, number>, source: string): string {
  const prefix = spec.id.toUpperCase();
  const rows = [...numbers].sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
  return [
    `// Generated by scripts/gen-syscall-tables.ts from ${source}:`,
    `// ${spec.table}, ABIs ${spec.abis.join(", ")}. Do not edit; regenerate.`,
    "",
    `export const ${prefix}_AUDIT_ARCH = ${hex(spec.auditArch)};`,
    "",
    `export const ${prefix}_SYSCALLS: ReadonlyMap<string, number> = new Map([`,
    ...rows.map(([name, nr]) => `  ["${name}", ${spec.numberBase ? hex(nr) : nr}],`),
    "]);",
    "",
  ].join("\n");
}

function elsewhereModule(names: string[], sources: string[], source: string): string {
  return [
    `// Generated by scripts/gen-syscall-tables.ts from ${source}:`,
    "// names used only by architectures sbx does not compile for, from",
    ...sources.map((s) => `//   ${s}`),
    "// Do not edit; regenerate.",
    "",
    "export const NAMES_ON_OTHER_ARCHES: ReadonlySet<string> = new Set([",
    ...names.map((n) => `  "${n}",`),
    "]);",
    "",
  ].join("\n");
}

/** File name (relative to OUT_DIR) → content. Pure apart from reading dataDir. */
export function generateTables(dataDir = DATA_DIR): Map<string, string> {
  const linux = join(dataDir, "linux");
  const source = kernelSource(dataDir);
  const out = new Map<string, string>();
  const own = new Set<string>();
  for (const spec of abiSpecs(linux)) {
    const numbers = numbersFor(spec, parseTable(readFileSync(join(linux, spec.table), "utf8")));
    for (const name of numbers.keys()) own.add(name);
    out.set(`${spec.id}.ts`, tableModule(spec, numbers, source));
  }
  const elsewhere = namesElsewhere(linux, own);
  out.set("elsewhere.ts", elsewhereModule(elsewhere.names, elsewhere.sources, source));
  return out;
}

if (import.meta.main) {
  for (const [file, content] of generateTables()) {
    writeFileSync(join(OUT_DIR, file), content);
    console.log(`wrote ${relative(process.cwd(), join(OUT_DIR, file))}`);
  }
}
