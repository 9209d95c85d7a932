import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { generateTables, OUT_DIR } from "../../scripts/gen-syscall-tables.ts";
import { AARCH64_AUDIT_ARCH, AARCH64_SYSCALLS } from "../../src/seccomp/tables/aarch64.ts";
import { NAMES_ON_OTHER_ARCHES } from "../../src/seccomp/tables/elsewhere.ts";
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
    ["aarch64", AARCH64_SYSCALLS, { openat: 56, clone: 220, getrlimit: 163, renameat: 38, memfd_secret: 447, listns: 470 }],
  ] as const)("%s numbers", (_abi, table, expected) => {
    expect(Object.fromEntries(Object.keys(expected).map((n) => [n, table.get(n)]))).toEqual(expected);
  });

  test("names an ABI does not have are absent, not guessed", () => {
    expect([X86_64_SYSCALLS.has("_llseek"), AARCH64_SYSCALLS.has("open"), X86_64_SYSCALLS.has("uselib")]).toEqual([false, false, true]);
  });

  test("AUDIT_ARCH values", () => {
    expect([X86_64_AUDIT_ARCH, AARCH64_AUDIT_ARCH]).toEqual([0xc000003e, 0xc00000b7]);
  });

  test("names found only on other ABIs, i386's and the ARM private calls included: only i386 and x32 numbers are not needed", () => {
    for (const n of ["recv", "send", "breakpoint", "set_tls", "sync_file_range2", "s390_runtime_instr", "swapcontext", "_llseek", "socketcall", "getuid32", "waitpid"]) {
      expect([n, NAMES_ON_OTHER_ARCHES.has(n)]).toEqual([n, true]);
    }
    expect(NAMES_ON_OTHER_ARCHES.has("read")).toBe(false);
  });
});
