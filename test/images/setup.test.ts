// The README's first set-up command in a copy of this checkout, with install scripts refused as
// pnpm or `npm install --ignore-scripts` refuse them: bun's postinstall never runs, so
// node_modules/.bin/bun stays a placeholder, and the package scripts must still find Bun.
import { expect, test } from "bun:test";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ROOT, run } from "../support/sbx.ts";

test("npm install --ignore-scripts && npm run build && ./dist/sbx caps works; bun's placeholder is never run", () => {
  const copy = mkdtempSync(join(tmpdir(), "sbx-setup-"));
  try {
    for (const f of run(["git", "ls-files"]).stdout.trim().split("\n")) {
      mkdirSync(dirname(join(copy, f)), { recursive: true });
      cpSync(join(ROOT, f), join(copy, f));
    }
    const env = { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/root" };
    const install = run(["npm", "install", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: copy, env });
    expect(install.code).toBe(0);
    expect(readFileSync(join(copy, "node_modules/bun/bin/bun.exe"), "latin1")).toContain("postinstall script was not run");

    const built = run(["sh", "-c", "npm run build && ./dist/sbx caps"], { cwd: copy, env });
    expect(built.stderr).toBe("");
    expect(built.code).toBe(0);
    expect(built.stdout).toMatch(/^built dist\/sbx \(bun-linux-x64/m);
    expect(built.stdout).toMatch(/^Bounding: /m);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}, 180_000);
