// What `npm run release` wrote (npm test runs it before the suite): four targets whose ELF headers
// match them, SBOMs that name what is inside, SHA256SUMS that verify, and bytes a rebuild repeats.
// The musl binaries are built and checked here, not run: Debian has no musl libstdc++.so.6.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "../../scripts/build.ts";
import { checkElf, readElf } from "../../scripts/elf.ts";
import { fetchRuntime, TARGETS } from "../../scripts/release.ts";
import { ROOT, run, SBX } from "../support/sbx.ts";

const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const OUT = join(ROOT, "dist/release");
const file = (name: string) => join(OUT, `sbx-${VERSION}-${name}`);
const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")).packages as Record<string, { version: string; integrity: string }>;

describe("npm run release", () => {
  test.each(TARGETS.map((t) => [t.name, t.bun] as const))("%s: the ELF header, loader and NEEDED list are the target's", (name, bun) => {
    expect(() => checkElf(file(name), bun)).not.toThrow();
  });

  test("linux-x64-musl, built, not run here: musl's loader, and libstdc++ is NEEDED (apk add libstdc++)", () => {
    expect(readElf(file("linux-x64-musl"))).toEqual({ machine: "x86-64", interpreter: "/lib/ld-musl-x86_64.so.1", needed: ["libstdc++.so.6", "libc.musl-x86_64.so.1"] });
  });

  test("linux-arm64-musl, built, not run here: musl's aarch64 loader, and libstdc++ is NEEDED", () => {
    expect(readElf(file("linux-arm64-musl"))).toEqual({ machine: "aarch64", interpreter: "/lib/ld-musl-aarch64.so.1", needed: ["libstdc++.so.6", "libc.musl-aarch64.so.1"] });
  });

  test("SHA256SUMS verifies every file with sha256sum -c", () => {
    const r = run(["sha256sum", "-c", "SHA256SUMS"], { cwd: OUT });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n")).toHaveLength(4 * 2 + 1); // binaries, SBOMs, RELEASE-NOTES.md
  });

  test.each(TARGETS.map((t) => [t.name, t.runtime] as const))("%s: the SBOM names sbx, the Bun runtime it carries and each bundled npm package with version and licence", (name, runtime) => {
    const bom = JSON.parse(readFileSync(`${file(name)}.cdx.json`, "utf8"));
    expect(bom).toMatchObject({ bomFormat: "CycloneDX", specVersion: "1.5" });
    expect(bom.metadata.component).toMatchObject({ name: "sbx", version: VERSION, licenses: [{ license: { id: "Apache-2.0" } }] });
    const sha = new Bun.CryptoHasher("sha256").update(readFileSync(file(name))).digest("hex");
    expect(bom.metadata.component.hashes).toEqual([{ alg: "SHA-256", content: sha }]);
    const summary = bom.components.map((c: { group?: string; name: string; version: string; licenses: { license: { id: string } }[] }) => [
      c.group ? `${c.group}/${c.name}` : c.name, c.version, c.licenses[0]!.license.id,
    ]);
    // The dependencies package.json names are exactly the npm packages in the bundle.
    const deps = Object.keys(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).dependencies).sort();
    expect(summary).toEqual([
      [runtime, lock[`node_modules/${runtime}`]!.version, "MIT"],
      ...deps.map((d) => [d, lock[`node_modules/${d}`]!.version, "MIT"]),
    ]);
    expect(bom.components[0].purl).toBe(`pkg:npm/${runtime.replace("@", "%40")}@${lock[`node_modules/${runtime}`]!.version}`);
  });

  test("RELEASE-NOTES.md labels the musl builds as built, not run here", () => {
    const notes = readFileSync(join(OUT, "RELEASE-NOTES.md"), "utf8");
    for (const t of ["linux-x64-musl", "linux-arm64-musl"]) expect(notes).toMatch(new RegExp(`sbx-${VERSION}-${t}\` .*built, not run here`));
  });
});

describe("reproducible bytes", () => {
  test("dist/sbx (npm run build, the host's own Bun) is byte-identical to the release's linux-x64", () => {
    expect(Bun.hash(readFileSync(SBX))).toBe(Bun.hash(readFileSync(file("linux-x64"))));
  });

  test("rebuilding linux-arm64 elsewhere from the locked runtime gives the release's bytes", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "sbx-rebuild-"));
    try {
      const { bun } = fetchRuntime("@oven/bun-linux-aarch64", tmp);
      await build({ target: "bun-linux-arm64", outfile: join(tmp, "elsewhere-named"), runtime: bun });
      expect(Bun.hash(readFileSync(join(tmp, "elsewhere-named")))).toBe(Bun.hash(readFileSync(file("linux-arm64"))));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);
});

test("a runtime of the wrong architecture fails the build (bun build itself exits 0 and writes an x86-64 binary)", async () => {
  const tmp = mkdtempSync(join(tmpdir(), "sbx-wrong-arch-"));
  try {
    const built = build({ target: "bun-linux-arm64", outfile: join(tmp, "sbx"), runtime: process.execPath });
    await expect(built).rejects.toThrow(`${join(tmp, "sbx")} is not a bun-linux-arm64 executable: machine "x86-64", expected "aarch64"`);
    expect(run(["ls", "-A", tmp]).stdout).toBe(""); // neither the output nor the staging directory is left
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}, 60_000);
