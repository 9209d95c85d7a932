// `sbx seccomp`: compile profiles to BPF, read BPF, and try syscalls against a filter.
import { names as capNames } from "../caps/mask.ts";
import { TABLE_LAST_CAP } from "../caps/names.ts";
import { CapSpecError, parseCapList } from "../caps/spec.ts";
import { EXIT } from "../exitCodes.ts";
import { anyText, nonEmpty, type OptionTable } from "../options/option.ts";
import { describeAction } from "../seccomp/action.ts";
import { ARCHES, isSeccompArch, type SeccompArch, syscallName } from "../seccomp/arch.ts";
import { ProgramTooLargeError } from "../seccomp/asm.ts";
import { BUILTIN_PROFILES, builtinProfile } from "../seccomp/builtin/index.ts";
import type { SeccompProgram } from "../seccomp/compile.ts";
import { disassemble } from "../seccomp/disasm.ts";
import { InvalidProgramError, run } from "../seccomp/interp.ts";
import type { Target } from "../seccomp/policy.ts";
import { ProfileError } from "../seccomp/profile.ts";
import { loadSeccompProgram, parseKernelRelease, SourceError, workloadTarget } from "../seccomp/source.ts";
import { getresuid } from "../sys/creds.ts";
import { close } from "../sys/file.ts";
import { openOutputFile } from "../sys/outputFile.ts";
import { writeAll } from "../sys/process.ts";
import { describe } from "../sys/result.ts";
import { type ByteString, toText } from "../text/bytes.ts";
import { quote } from "../text/quote.ts";
import { command, type Group } from "./command.ts";
import { die, log } from "./log.ts";
import { print, printBytes } from "./output.ts";

const TARGET = {
  arch: { value: "ARCH", schema: nonEmpty, help: "Build for this architecture: x86_64 or aarch64 (default: this machine's)" },
  caps: { value: "LIST", schema: anyText, help: "The workload's capabilities, for Docker's includes/excludes (default: none)" },
  kernel: { value: "X.Y", schema: nonEmpty, help: "The workload's kernel, for minKernel (default: the running one)" },
  seccompLenient: { help: "Skip syscall names no architecture has, with a warning, instead of failing" },
} as const satisfies OptionTable;

interface TargetFlags {
  arch?: ByteString;
  caps?: ByteString;
  kernel?: ByteString;
  seccompLenient?: boolean;
}

class InputError extends Error {}

/** Input errors exit 2 with one line; anything else is a bug for main's guard. */
function guarded<T>(body: () => T): T {
  try {
    return body();
  } catch (e) {
    const input = [InputError, ProfileError, SourceError, InvalidProgramError, ProgramTooLargeError, CapSpecError];
    if (input.some((type) => e instanceof type)) die((e as Error).message, EXIT.USAGE);
    throw e;
  }
}

function targetOf(flags: TargetFlags): Target {
  if (flags.arch !== undefined && !isSeccompArch(flags.arch)) throw new InputError(`--arch: ${quote(flags.arch)} is not x86_64 or aarch64`);
  if (flags.kernel !== undefined && !/^\d+\.\d+$/.test(flags.kernel)) throw new InputError(`--kernel: ${quote(flags.kernel)} is not a version like 6.8`);
  return workloadTarget({
    arch: flags.arch as SeccompArch | undefined,
    caps: flags.caps === undefined ? [] : capNames(parseCapList(flags.caps, TABLE_LAST_CAP)),
    kernel: flags.kernel === undefined ? undefined : parseKernelRelease(flags.kernel),
  });
}

function program(spec: ByteString, flags: TargetFlags): { target: Target; program: SeccompProgram } {
  const target = targetOf(flags);
  const compiled = loadSeccompProgram(toText(spec), target, { lenient: flags.seccompLenient });
  for (const w of compiled.warnings) log("sbx seccomp").warn(w);
  return { target, program: compiled };
}

/** A syscall name or number, for the target architecture. */
function syscallNumber(arch: SeccompArch, text: ByteString): number {
  if (/^(0x[0-9a-f]+|\d+)$/i.test(text)) {
    const nr = Number(text);
    if (nr > 0xffffffff) throw new InputError(`syscall number ${text} does not fit in 32 bits`);
    return nr;
  }
  const nr = ARCHES[arch].syscalls.get(text);
  if (nr === undefined) throw new InputError(`${quote(text)} is not a syscall on ${arch}`);
  return nr;
}

/** A 64-bit argument: decimal, 0x hex, or negative (two's complement, as a C long would pass it). */
function argument(text: ByteString): bigint {
  if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(text)) throw new InputError(`argument ${quote(text)} is not an integer`);
  const negative = text.startsWith("-");
  const value = BigInt(negative ? text.slice(1) : text);
  if (value >= 1n << 64n) throw new InputError(`argument ${text} does not fit in 64 bits`);
  return negative ? BigInt.asUintN(64, -value) : value;
}

/** -o FILE: opened as sys/outputFile.ts allows (no links followed, no FIFO waited on), written, closed. */
function writeOutput(path: ByteString, bytes: Uint8Array): void {
  const ids = getresuid();
  const opened = openOutputFile(path, ids.ok ? ids.value[1] : 0);
  if (!opened.ok) die(`-o: ${opened.reason}`, EXIT.OUTPUT);
  const r = writeAll(opened.fd, bytes);
  close(opened.fd);
  if (!r.ok) die(`-o ${quote(path)}: ${describe(r)}`, EXIT.OUTPUT);
}

const compile = command({
  name: "compile",
  description: "Write the BPF program for a profile (for bwrap --seccomp, setpriv --seccomp-filter)",
  options: { output: { short: "o", value: "FILE", schema: nonEmpty, help: "Write to FILE instead of stdout (created 0600; no links followed)" }, ...TARGET },
  positionals: [{ name: "profile", description: "A built-in name, a .json profile or a .bpf program" }],
  examples: ["sbx seccomp compile default -o default.bpf", "sbx seccomp compile ./profile.json --arch aarch64 > p.bpf"],
  run(args, [profile]) {
    const { program: p } = guarded(() => program(profile!, args));
    if (args.output === undefined) printBytes(p.bytes);
    else writeOutput(args.output, p.bytes);
  },
});

const disasm = command({
  name: "disasm",
  description: "List a BPF program instruction by instruction",
  options: TARGET,
  positionals: [{ name: "program", description: "A .bpf program, a .json profile or a built-in name" }],
  examples: ["sbx seccomp disasm default", "sbx seccomp disasm filter.bpf"],
  run(args, [spec]) {
    const { target, program: p } = guarded(() => program(spec!, args));
    print(disassemble(p.bytes, args.arch === undefined && spec!.endsWith(".bpf") ? undefined : target.arch));
  },
});

const check = command({
  name: "check",
  description: "Run one syscall through a filter and print the action, e.g. ERRNO(1) or ALLOW",
  options: TARGET,
  positionals: [
    { name: "profile", description: "A built-in name, a .json profile or a .bpf program" },
    { name: "syscall", description: "Syscall name or number" },
    { name: "args", description: "Its arguments (put negative ones after --)", variadic: true },
  ],
  examples: ["sbx seccomp check default ioctl 0 0x5412", "sbx seccomp check default personality -- -1"],
  run(args, [profile, syscall, ...rest]) {
    const line = guarded(() => {
      const { target, program: p } = program(profile!, args);
      const nr = syscallNumber(target.arch, syscall!);
      const values = rest.map(argument);
      if (values.length > 6) throw new InputError(`a syscall has at most 6 arguments, got ${values.length}`);
      const verdict = run(p.bytes, { nr, arch: ARCHES[target.arch].auditArch, instructionPointer: 0n, args: values });
      const name = syscallName(target.arch, nr) ?? `syscall ${nr}`;
      return `${describeAction(verdict.action)}  (${name} on ${target.arch}, ${verdict.executed} instructions)\n`;
    });
    print(line);
  },
});

const list = command({
  name: "list",
  description: "The built-in profiles",
  options: {},
  examples: ["sbx seccomp list"],
  run() {
    const width = Math.max(...BUILTIN_PROFILES.map((b) => b.name.length));
    print(BUILTIN_PROFILES.map((b) => `${b.name.padEnd(width)}  ${b.summary}\n`).join(""));
  },
});

const exportCommand = command({
  name: "export",
  description: "Print a built-in profile as Docker seccomp JSON",
  options: {},
  positionals: [{ name: "name", description: "default or sandbox" }],
  examples: ["sbx seccomp export default > default.json", "sbx seccomp export sandbox | jq '.syscalls | length'"],
  run(_args, [name]) {
    const builtin = builtinProfile(name!);
    if (!builtin) die(`no built-in profile ${quote(name!)} (${BUILTIN_PROFILES.map((b) => b.name).join(", ")})`, EXIT.USAGE);
    print(`${JSON.stringify(builtin.profile, null, 2)}\n`);
  },
});

export const seccompGroup: Group = {
  name: "seccomp",
  description: "Compile, read and try seccomp filters (Docker/OCI profiles or BPF)",
  examples: ["sbx seccomp compile default -o default.bpf", "sbx seccomp check default ioctl 0 0x5412", "sbx seccomp disasm ./profile.json"],
  subcommands: {
    compile: async () => compile,
    disasm: async () => disasm,
    check: async () => check,
    list: async () => list,
    export: async () => exportCommand,
  },
};
