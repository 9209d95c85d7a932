// The Bun runtime must not read config from the working directory or run code named by the
// environment while sbx is root (see scripts/build.ts).
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VERSION } from "../../src/version.ts";
import { SBX, sbx } from "../support/sbx.ts";

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
  test("--version names the version and the build target", () => {
    const r = sbx(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^sbx ${VERSION.replace(/\./g, "\\.")} \\(linux-(x64|arm64) (glibc|musl)\\)\\n$`));
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
    const child = Bun.spawn([SBX, "seccomp", "compile", fifo, "-o", "/dev/null"], {
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
