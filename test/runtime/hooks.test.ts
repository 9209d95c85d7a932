// The Bun runtime must not read config from the working directory or run code named by the
// environment while sbx is root (see scripts/build.ts).
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VERSION } from "../../src/version.ts";
import { run, SBX, sbx } from "../support/sbx.ts";

function hostileDir() {
  const dir = mkdtempSync(join(tmpdir(), "sbx-hooks-"));
  const marker = join(dir, "PRELOAD-RAN");
  writeFileSync(join(dir, "pre.ts"), `require("fs").writeFileSync(${JSON.stringify(marker)}, "x"); console.log("PRELOADED");\n`);
  writeFileSync(join(dir, "bunfig.toml"), `preload = ["./pre.ts"]\n[run]\npreload = ["./pre.ts"]\n`);
  writeFileSync(join(dir, ".env"), "SBX_HOOK_TEST=from-dotenv\nBUN_OPTIONS=--preload ./pre.ts\n");
  return { dir, marker };
}

const PATH = process.env.PATH!;

describe("runtime hooks are closed", () => {
  test("--version names the version, the build target and the Bun runtime it carries", () => {
    const r = sbx(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`sbx ${VERSION} (linux-${process.arch} glibc, bun ${Bun.version})\n`);
  });

  test("bunfig.toml and .env in the working directory are not read", () => {
    const { dir, marker } = hostileDir();
    const r = sbx(["caps", "--json"], { cwd: dir, env: { PATH } });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("PRELOADED");
    expect(existsSync(marker)).toBe(false);
  });

  test("BUN_OPTIONS=--preload runs nothing", () => {
    const { dir, marker } = hostileDir();
    const r = sbx(["--version"], { cwd: dir, env: { PATH, BUN_OPTIONS: "--preload ./pre.ts" } });
    expect(r.stdout).toStartWith("sbx ");
    expect(existsSync(marker)).toBe(false);
  });

  test("BUN_BE_BUN=1 does not turn sbx into the bun CLI", () => {
    const r = sbx(["--version"], { env: { PATH, BUN_BE_BUN: "1" } });
    expect(r.stdout).toStartWith(`sbx ${VERSION} `);
    const e = sbx(["-e", "console.log(1)"], { env: { PATH, BUN_BE_BUN: "1" } });
    expect(e.stdout).not.toBe("1\n");
  });

  test("BUN_INSPECT does not open a debugger port while sbx runs", async () => {
    // sbx blocks reading a FIFO profile, long enough to look for the listener Bun would open
    // before any sbx code runs (an unpatched compiled binary listens on the given port).
    const dir = mkdtempSync(join(tmpdir(), "sbx-inspect-"));
    const fifo = join(dir, "profile.json");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    const port = 40000 + Math.floor(Math.random() * 20000);
    const child = Bun.spawn([SBX, "seccomp", "compile", fifo, "-o", join(dir, "out.bpf")], {
      env: { PATH, BUN_INSPECT: `127.0.0.1:${port}` },
      stderr: "pipe",
    });
    await Bun.sleep(300);
    const listening = readFileSync("/proc/net/tcp", "utf8").split("\n").some((l) => {
      const f = l.trim().split(/\s+/);
      return f[1]?.endsWith(`:${port.toString(16).toUpperCase().padStart(4, "0")}`) && f[3] === "0A";
    });
    writeFileSync(fifo, '{"defaultAction":"SCMP_ACT_ALLOW"}');
    expect(await child.exited).toBe(0);
    expect(listening).toBe(false);
  });
});

describe("runtime hooks that are refused", () => {
  test("BUN_BYTECODE_ORDER_OUT / _DIGEST_OUT make the runtime write nothing as root", () => {
    const dir = mkdtempSync(join(tmpdir(), "sbx-bytecode-"));
    const files = ["order", "digest"].map((f) => join(dir, f));
    const r = sbx(["caps", "--json"], { env: { PATH, BUN_BYTECODE_ORDER_OUT: files[0]!, BUN_BYTECODE_DIGEST_OUT: files[1]! } });
    expect(r.code).toBe(0);
    for (const f of files) expect(existsSync(f)).toBe(false);
  });

  test.each([
    [["--version"], 2, "sbx: BUN_JSC_logGC is set"],
    [["caps"], 2, "sbx: BUN_JSC_logGC is set"],
    [["exec", "--user", "nobody", "--", "true"], 200, "sbx exec: usage: BUN_JSC_logGC is set"],
  ])("BUN_JSC_* (JavaScriptCore options) stops %p before anything runs", (args, code, text) => {
    const r = sbx(args, { env: { PATH, BUN_JSC_logGC: "1" } });
    expect(r.code).toBe(code);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(text);
    expect(r.stderr).toContain("sbx exec --env BUN_JSC_logGC=");
  });

  test("gosu mode refuses it too, in gosu's voice", () => {
    const dir = mkdtempSync(join(tmpdir(), "sbx-gosu-"));
    const gosu = join(dir, "gosu");
    symlinkSync(SBX, gosu);
    const r = run([gosu, "nobody", "true"], { env: { PATH, BUN_JSC_logGC: "1" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^(\[GC.*\n)*error: BUN_JSC_logGC is set/);
  });

  test("the workload still gets such a variable through --env", () => {
    const r = sbx(["exec", "--user", "nobody", "--env", "BUN_JSC_logGC=1", "--", "sh", "-c", "echo $BUN_JSC_logGC"], { env: { PATH } });
    expect(r).toEqual({ code: 0, stdout: "1\n", stderr: "" });
  });
});
