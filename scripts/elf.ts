// What an executable needs from the image it is copied into: its ELF class, machine, program
// interpreter (the loader the kernel starts) and NEEDED libraries. `bun build --compile` given a
// runtime of the wrong architecture still exits 0 and writes a binary for the runtime's
// architecture under the target's name, so every build is checked against its target here.
import { closeSync, openSync, readSync } from "node:fs";

/** Class and byte order need no field: readElf accepts only 64-bit little-endian files. */
export interface ElfFacts {
  machine: string;
  interpreter: string | null;
  needed: string[];
}

const MACHINES: Record<number, string> = { 62: "x86-64", 183: "aarch64" };
const PT_DYNAMIC = 2, PT_INTERP = 3, PT_LOAD = 1, DT_NEEDED = 1n, DT_STRTAB = 5n;

/** Reads a 64-bit little-endian ELF file; anything else is an error naming what it is. */
export function readElf(file: string): ElfFacts {
  // Positional reads of the headers only: the binaries are over 100 MB.
  const fd = openSync(file, "r");
  try {
    const at = (offset: number, length: number) => {
      const buf = Buffer.alloc(length);
      return buf.subarray(0, readSync(fd, buf, 0, length, offset));
    };
    const cString = (offset: number) => {
      const b = at(offset, 256);
      return b.toString("latin1", 0, b.indexOf(0));
    };
    const h = at(0, 64);
    if (h.length < 64 || h.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file}: not an ELF file`);
    const machineNr = h.readUInt16LE(18);
    const machine = MACHINES[machineNr] ?? `machine ${machineNr}`;
    if (h[4] !== 2 || h[5] !== 1) throw new Error(`${file}: ELF${h[4] === 1 ? 32 : "?"} ${h[5] === 2 ? "big" : "little"}-endian ${machine}, not a 64-bit little-endian executable`);

    const phoff = Number(h.readBigUInt64LE(32)), phentsize = h.readUInt16LE(54), phnum = h.readUInt16LE(56);
    const ph = at(phoff, phentsize * phnum);
    const headers = Array.from({ length: phnum }, (_, i) => {
      const o = i * phentsize;
      return { type: ph.readUInt32LE(o), offset: Number(ph.readBigUInt64LE(o + 8)), vaddr: Number(ph.readBigUInt64LE(o + 16)), filesz: Number(ph.readBigUInt64LE(o + 32)) };
    });

    const interp = headers.find((p) => p.type === PT_INTERP);
    const dynamic = headers.find((p) => p.type === PT_DYNAMIC);
    const needed: string[] = [];
    if (dynamic) {
      const d = at(dynamic.offset, dynamic.filesz);
      const entries: [bigint, bigint][] = [];
      for (let o = 0; o + 16 <= d.length; o += 16) {
        const tag = d.readBigInt64LE(o);
        if (tag === 0n) break;
        entries.push([tag, d.readBigUInt64LE(o + 8)]);
      }
      // DT_STRTAB is a virtual address: the PT_LOAD segment holding it maps it back to a file offset.
      const strtab = Number(entries.find(([t]) => t === DT_STRTAB)?.[1] ?? -1);
      const seg = headers.find((p) => p.type === PT_LOAD && strtab >= p.vaddr && strtab < p.vaddr + p.filesz);
      if (!seg) throw new Error(`${file}: dynamic string table not in any loaded segment`);
      for (const [tag, val] of entries) if (tag === DT_NEEDED) needed.push(cString(strtab - seg.vaddr + seg.offset + Number(val)));
    }
    return { machine, interpreter: interp ? cString(interp.offset) : null, needed };
  } finally {
    closeSync(fd);
  }
}

/** What each `bun build --target` must produce; a runtime that links more fails the build. */
export const EXPECTED: Record<string, ElfFacts> = {
  "bun-linux-x64": { machine: "x86-64", interpreter: "/lib64/ld-linux-x86-64.so.2", needed: ["libc.so.6", "ld-linux-x86-64.so.2", "libpthread.so.0", "libdl.so.2", "libm.so.6"] },
  "bun-linux-arm64": { machine: "aarch64", interpreter: "/lib/ld-linux-aarch64.so.1", needed: ["libc.so.6", "ld-linux-aarch64.so.1", "libpthread.so.0", "libdl.so.2", "libm.so.6"] },
  "bun-linux-x64-musl": { machine: "x86-64", interpreter: "/lib/ld-musl-x86_64.so.1", needed: ["libstdc++.so.6", "libc.musl-x86_64.so.1"] },
  "bun-linux-arm64-musl": { machine: "aarch64", interpreter: "/lib/ld-musl-aarch64.so.1", needed: ["libstdc++.so.6", "libc.musl-aarch64.so.1"] },
};

// NEEDED is compared as a set: the order the runtime lists its libraries in is not a requirement.
const key = (v: string | string[] | null) => JSON.stringify(Array.isArray(v) ? [...v].sort() : v);

/** Throws, naming every difference, unless `file` is what `target` must be; `name` is the file's name in messages. */
export function checkElf(file: string, target: string, name = file): ElfFacts {
  const want = EXPECTED[target];
  if (!want) throw new Error(`${name}: no ELF expectation for target ${target}`);
  const got = readElf(file);
  const diffs = (["machine", "interpreter", "needed"] as const)
    .filter((k) => key(got[k]) !== key(want[k]))
    .map((k) => `${k} ${JSON.stringify(got[k])}, expected ${JSON.stringify(want[k])}`);
  if (diffs.length) throw new Error(`${name} is not a ${target} executable: ${diffs.join("; ")}`);
  return got;
}
