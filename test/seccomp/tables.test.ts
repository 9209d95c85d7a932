import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { generateTables, OUT_DIR } from "../../scripts/gen-syscall-tables.ts";
import { AARCH64_AUDIT_ARCH, AARCH64_SYSCALLS } from "../../src/seccomp/tables/aarch64.ts";
import { NAMES_ON_OTHER_ARCHES } from "../../src/seccomp/tables/elsewhere.ts";
import { I386_AUDIT_ARCH, I386_SYSCALLS } from "../../src/seccomp/tables/i386.ts";
import { X32_SYSCALLS } from "../../src/seccomp/tables/x32.ts";
import { X86_64_AUDIT_ARCH, X86_64_SYSCALLS } from "../../src/seccomp/tables/x86_64.ts";

describe("syscall tables", () => {
  const generated = generateTables();

  test("the generator reproduces the committed tables byte for byte", () => {
    for (const [file, content] of generated) expect([file, readFileSync(join(OUT_DIR, file), "utf8")]).toEqual([file, content]);
  });

  test("every file in src/seccomp/tables is generated", () => {
    expect(readdirSync(OUT_DIR).sort()).toEqual([...generated.keys()].sort());
  });

  test.each([
    ["x86_64", X86_64_SYSCALLS, { read: 0, ioctl: 16, socket: 41, clone3: 435, listns: 470, uretprobe: 335 }],
    ["i386", I386_SYSCALLS, { restart_syscall: 0, socket: 359, _llseek: 140, clone3: 435 }],
    ["x32 (numbers carry the x32 bit)", X32_SYSCALLS, { read: 0x40000000, ioctl: 0x40000000 + 514, clone3: 0x40000000 + 435 }],
    ["aarch64", AARCH64_SYSCALLS, { openat: 56, clone: 220, getrlimit: 163, renameat: 38, memfd_secret: 447, listns: 470 }],
  ] as const)("%s numbers", (_abi, table, expected) => {
    expect(Object.fromEntries(Object.keys(expected).map((n) => [n, table.get(n)]))).toEqual(expected);
  });

  test("names an ABI does not have are absent, not guessed", () => {
    expect([X86_64_SYSCALLS.has("_llseek"), AARCH64_SYSCALLS.has("open"), X32_SYSCALLS.has("uselib")]).toEqual([false, false, false]);
  });

  test("AUDIT_ARCH values", () => {
    expect([X86_64_AUDIT_ARCH, I386_AUDIT_ARCH, AARCH64_AUDIT_ARCH]).toEqual([0xc000003e, 0x40000003, 0xc00000b7]);
  });

  test("names found only on other architectures, ARM private calls included", () => {
    for (const n of ["recv", "send", "breakpoint", "set_tls", "sync_file_range2", "s390_runtime_instr", "swapcontext"]) {
      expect([n, NAMES_ON_OTHER_ARCHES.has(n)]).toEqual([n, true]);
    }
    expect(NAMES_ON_OTHER_ARCHES.has("read")).toBe(false);
  });
});
