// Against libseccomp (Debian python3-seccomp, 2.5.4 here), where the machine has it: Docker's
// default profile gets the same decision from our filter and from libseccomp's plus runc's ENOSYS
// rule, for every syscall number on x86_64. Numbers libseccomp cannot name are listed, not counted.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeAction, ENOSYS, errno } from "../../src/seccomp/action.ts";
import { ARCHES } from "../../src/seccomp/arch.ts";
import { runner } from "../../src/seccomp/interp.ts";
import { compileProfile } from "../../src/seccomp/source.ts";
import { dockerDefault, dockerDefaultJson, target } from "./fixtures.ts";
import { refApplies, type RefProfile } from "./reference.ts";

const PYTHON = ["/usr/bin/python3", "python3"].find(
  (py) => Bun.spawnSync([py, "-c", "import seccomp"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0,
);

// Off CI a machine without python3-seccomp skips this; CI installs it, so there it must run.
describe.skipIf(PYTHON === undefined && process.env.CI !== "true")("libseccomp agrees on Docker's default profile (x86_64)", () => {
  test("every syscall number, with argument values around each rule's", () => {
    expect(PYTHON, "python3-seccomp must be installed for /usr/bin/python3 (see .ci/run)").toBeDefined();
    const t = target("x86_64");
    const json = dockerDefaultJson() as RefProfile;
    const rules = (json.syscalls ?? []).filter((r) => refApplies(r, t));
    const out = join(mkdtempSync(join(tmpdir(), "sbx-libseccomp-")), "docker.bpf");
    const py = Bun.spawnSync([PYTHON!, join(import.meta.dir, "libseccomp-export.py"), out], {
      stdin: new TextEncoder().encode(JSON.stringify({ defaultErrno: json.defaultErrnoRet ?? 1, rules }, (_k, v) => (typeof v === "bigint" ? Number(v) : v))),
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(py.stderr.toString()).toBe("");
    const { unnamed, last } = JSON.parse(py.stdout.toString()) as { unnamed: string[]; last: number };

    const info = ARCHES.x86_64;
    const libseccomp = runner(new Uint8Array(readFileSync(out)));
    const ours = runner(compileProfile(dockerDefault(), t).bytes);
    // runc puts a stub before libseccomp's filter: native numbers above the last one libseccomp
    // resolved get ENOSYS.
    const runc = (nr: number, args: bigint[]) =>
      nr > last ? errno(ENOSYS) : libseccomp({ nr, arch: info.auditArch, instructionPointer: 0n, args }).action;

    // Not comparable: numbers of names libseccomp cannot resolve, and the numbers between runc's
    // ENOSYS boundary (the last it can resolve) and ours (the last the profile names).
    const ourLast = Math.max(...rules.flatMap((r) => r.names ?? []).map((n) => info.syscalls.get(n) ?? -1));
    const skipped = new Set<number>(unnamed.map((n) => info.syscalls.get(n)!).filter((n) => n !== undefined));
    for (let nr = last + 1; nr <= ourLast; nr++) skipped.add(nr);

    const values = [0n, 1n, 2n, 8n, 16n, 17n, 37n, 38n, 39n, 40n, 41n, 0x20000n, 0x20008n, 0xffffffffn, 0x10000000n, 0x7e020000n, 0x3d0f00n];
    const argSets = [[], ...values.flatMap((v) => [[v], [v | (1n << 32n)]])];
    const disagreements: string[] = [];
    let agreed = 0;
    for (let nr = 0; nr <= 600; nr++) {
      if (skipped.has(nr)) continue;
      for (const args of argSets) {
        const [mine, theirs] = [ours({ nr, arch: info.auditArch, instructionPointer: 0n, args }).action, runc(nr, args)];
        if (mine === theirs) agreed++;
        else disagreements.push(`${nr}(${args.join(",")}): ours ${describeAction(mine)}, libseccomp+runc ${describeAction(theirs)}`);
      }
    }
    expect(disagreements).toEqual([]);
    expect(agreed).toBeGreaterThan(500 * argSets.length);
    const names = new Map([...info.syscalls].map(([n, nr]) => [nr, n]));
    console.log(
      `libseccomp: ${agreed} decisions agree over ${601 - skipped.size} syscall numbers; not compared: ` +
        `${unnamed.filter((n) => info.syscalls.has(n)).map((n) => `${n} (${info.syscalls.get(n)})`).join(", ")}, which libseccomp cannot name, and ` +
        `${[...skipped].filter((nr) => !unnamed.includes(names.get(nr) ?? "")).join(", ") || "nothing else"}, ` +
        `between runc's ENOSYS boundary (${last}) and ours (${ourLast})`,
    );
  });
});
