// `sbx seccomp`: compile profiles to BPF, read BPF, and try syscalls against a filter.
import { writeFileSync, writeSync } from "node:fs";
import { defineCommand } from "citty";
import { CapSpecError, parseCapList } from "../caps/spec.ts";
import { names as capNames } from "../caps/mask.ts";
import { TABLE_LAST_CAP } from "../caps/names.ts";
import { EXIT } from "../exitCodes.ts";
import { describeAction } from "../seccomp/action.ts";
import { ARCHES, isSeccompArch, syscallName, type SeccompArch } from "../seccomp/arch.ts";
import { ProgramTooLargeError } from "../seccomp/asm.ts";
import { BUILTIN_PROFILES, builtinProfile } from "../seccomp/builtin/index.ts";
import type { SeccompProgram } from "../seccomp/compile.ts";
import { disassemble } from "../seccomp/disasm.ts";
import { InvalidProgramError, run } from "../seccomp/interp.ts";
import type { Target } from "../seccomp/policy.ts";
import { ProfileError } from "../seccomp/profile.ts";
import { loadSeccompProgram, parseKernelRelease, SourceError, workloadTarget } from "../seccomp/source.ts";
import { die } from "./fail.ts";
import { logger } from "./log.ts";

const targetArgs = {
  arch: { type: "string", description: "Build for this architecture: x86_64 or aarch64 (default: this machine's)", valueHint: "ARCH" },
  caps: {
    type: "string",
    description: "The workload's capabilities, for Docker's includes/excludes (default: none)",
    valueHint: "LIST",
  },
  kernel: { type: "string", description: "The workload's kernel, for minKernel (default: the running one)", valueHint: "X.Y" },
  seccompLenient: { type: "boolean", description: "Skip syscall names no architecture has, with a warning, instead of failing" },
} as const;

interface TargetFlags {
  arch?: string;
  caps?: string;
  kernel?: string;
  seccompLenient?: boolean;
}

class UsageError extends Error {}

/** Input errors exit 2 with one line; anything else is a bug and keeps its stack. */
function guarded(body: () => void): void {
  try {
    body();
  } catch (e) {
    const input = [UsageError, ProfileError, SourceError, InvalidProgramError, ProgramTooLargeError, CapSpecError];
    if (input.some((type) => e instanceof type)) die((e as Error).message, EXIT.USAGE);
    throw e;
  }
}

function targetOf(flags: TargetFlags): Target {
  if (flags.arch !== undefined && !isSeccompArch(flags.arch)) {
    throw new UsageError(`--arch: "${flags.arch}" is not x86_64 or aarch64`);
  }
  if (flags.kernel !== undefined && !/^\d+\.\d+$/.test(flags.kernel)) {
    throw new UsageError(`--kernel: "${flags.kernel}" is not a version like 6.8`);
  }
  return workloadTarget({
    arch: flags.arch as SeccompArch | undefined,
    caps: flags.caps === undefined ? [] : capNames(parseCapList(flags.caps, TABLE_LAST_CAP)),
    kernel: flags.kernel === undefined ? undefined : parseKernelRelease(flags.kernel),
  });
}

function program(spec: string, flags: TargetFlags): { target: Target; program: SeccompProgram } {
  const target = targetOf(flags);
  const compiled = loadSeccompProgram(spec, target, { lenient: flags.seccompLenient });
  const log = logger("sbx seccomp");
  for (const w of compiled.warnings) log.warn(w);
  return { target, program: compiled };
}

/** A syscall name or number, for the target architecture. */
function syscallNumber(arch: SeccompArch, text: string): number {
  if (/^(0x[0-9a-f]+|\d+)$/i.test(text)) {
    const nr = Number(text);
    if (nr > 0xffffffff) throw new UsageError(`syscall number ${text} does not fit in 32 bits`);
    return nr;
  }
  const nr = ARCHES[arch].syscalls.get(text);
  if (nr === undefined) throw new UsageError(`"${text}" is not a syscall on ${arch}`);
  return nr;
}

/** A 64-bit argument: decimal, 0x hex, or negative (two's complement, as a C long would pass it). */
function argument(text: string): bigint {
  if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(text)) throw new UsageError(`argument "${text}" is not an integer`);
  const negative = text.startsWith("-");
  const value = BigInt(negative ? text.slice(1) : text);
  if (value >= 1n << 64n) throw new UsageError(`argument ${text} does not fit in 64 bits`);
  return negative ? BigInt.asUintN(64, -value) : value;
}

const compile = defineCommand({
  meta: { name: "compile", description: "Write the BPF program for a profile (for bwrap --seccomp, setpriv --seccomp-filter)" },
  args: {
    profile: { type: "positional", description: "A built-in name, a .json profile or a .bpf program", required: true },
    output: { type: "string", alias: "o", description: "Write to FILE instead of stdout", valueHint: "FILE" },
    ...targetArgs,
  },
  run({ args }) {
    guarded(() => {
      const { program: p } = program(args.profile, args);
      if (args.output === undefined) writeSync(1, p.bytes);
      else writeFileSync(args.output, p.bytes);
    });
  },
});

const disasm = defineCommand({
  meta: { name: "disasm", description: "List a BPF program instruction by instruction" },
  args: {
    program: { type: "positional", description: "A .bpf program, a .json profile or a built-in name", required: true },
    ...targetArgs,
  },
  run({ args }) {
    guarded(() => {
      const { target, program: p } = program(args.program, args);
      process.stdout.write(disassemble(p.bytes, args.arch === undefined && args.program.endsWith(".bpf") ? undefined : target.arch));
    });
  },
});

const check = defineCommand({
  meta: { name: "check", description: "Run one syscall through a filter and print the action, e.g. ERRNO(1) or ALLOW" },
  args: {
    profile: { type: "positional", description: "A built-in name, a .json profile or a .bpf program", required: true },
    syscall: { type: "positional", description: "Syscall name or number; arguments may follow", required: true },
    ...targetArgs,
  },
  run({ args }) {
    guarded(() => {
      const { target, program: p } = program(args.profile, args);
      const nr = syscallNumber(target.arch, args.syscall);
      // citty puts every positional in `_`: the profile, the syscall, then its arguments.
      const values = args._.slice(2).map(argument);
      if (values.length > 6) throw new UsageError(`a syscall has at most 6 arguments, got ${values.length}`);
      const verdict = run(p.bytes, { nr, arch: ARCHES[target.arch].auditArch, instructionPointer: 0n, args: values });
      const name = syscallName(target.arch, nr) ?? `syscall ${nr}`;
      process.stdout.write(`${describeAction(verdict.action)}  (${name} on ${target.arch}, ${verdict.executed} instructions)\n`);
    });
  },
});

const list = defineCommand({
  meta: { name: "list", description: "The built-in profiles" },
  run() {
    const width = Math.max(...BUILTIN_PROFILES.map((b) => b.name.length));
    for (const b of BUILTIN_PROFILES) process.stdout.write(`${b.name.padEnd(width)}  ${b.summary}\n`);
  },
});

const exportCommand = defineCommand({
  meta: { name: "export", description: "Print a built-in profile as Docker seccomp JSON" },
  args: { name: { type: "positional", description: "default or sandbox", required: true } },
  run({ args }) {
    guarded(() => {
      const builtin = builtinProfile(args.name);
      if (!builtin) {
        throw new UsageError(`no built-in profile "${args.name}" (${BUILTIN_PROFILES.map((b) => b.name).join(", ")})`);
      }
      process.stdout.write(`${JSON.stringify(builtin.profile, null, 2)}\n`);
    });
  },
});

export const seccompCommand = defineCommand({
  meta: { name: "seccomp", description: "Compile, read and try seccomp filters (Docker/OCI profiles or BPF)" },
  subCommands: { compile, disasm, check, list, export: exportCommand },
});

