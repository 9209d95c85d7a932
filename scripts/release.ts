// `npm run release`: every Linux target into dist/release/ as sbx-<version>-<target>, each with a
// CycloneDX SBOM (sbx-<version>-<target>.cdx.json), plus SHA256SUMS and RELEASE-NOTES.md.
//
// Each target's Bun runtime is the npm package package-lock.json pins (@oven/bun-linux-<arch>[-musl]),
// fetched with `npm pack` (so npm's own registry settings and cache apply; the npm registry is the
// only network this needs) and checked against the lockfile's integrity before it is used. build()
// checks the output's ELF header against the target, so a wrong runtime fails here rather than
// shipping an x86-64 binary named arm64. The same sources and lockfile give the same bytes.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "./build.ts";

const ROOT = resolve(import.meta.dir, "..");
const OUT = join(ROOT, "dist/release");

interface Target {
  name: string;
  bun: string;
  runtime: string;
  /** What the test suite does with this binary here; the release notes say it. */
  tested: string;
}
export const TARGETS: Target[] = [
  { name: "linux-x64", bun: "bun-linux-x64", runtime: "@oven/bun-linux-x64", tested: "run by `npm test` in real runc containers (Debian and distroless-like roots, rootful and rootless)" },
  { name: "linux-arm64", bun: "bun-linux-arm64", runtime: "@oven/bun-linux-aarch64", tested: "run by `npm test` in real runc containers over an arm64 Debian root under qemu-user-static, rootful and rootless" },
  { name: "linux-x64-musl", bun: "bun-linux-x64-musl", runtime: "@oven/bun-linux-x64-musl", tested: "built, not run here: Debian has no musl libstdc++.so.6 (ELF header and NEEDED checked)" },
  { name: "linux-arm64-musl", bun: "bun-linux-arm64-musl", runtime: "@oven/bun-linux-aarch64-musl", tested: "built, not run here: Debian has no musl libstdc++.so.6 (ELF header and NEEDED checked)" },
];

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string; license: string };
const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string; integrity?: string; license?: string }> };

function locked(name: string) {
  const entry = lock.packages[`node_modules/${name}`];
  if (!entry?.integrity) throw new Error(`release: package-lock.json pins no version with integrity for ${name}`);
  return { version: entry.version, integrity: entry.integrity };
}

function sh(cmd: string[], cwd = ROOT): string {
  const p = Bun.spawnSync(cmd, { cwd, stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`release: ${cmd.join(" ")} exited ${p.exitCode}: ${p.stderr.toString().trim()}`);
  return p.stdout.toString();
}

/** The locked runtime package, packed by npm and verified, unpacked in `dir`; returns its bun binary and licence. */
export function fetchRuntime(name: string, dir: string) {
  const { version, integrity } = locked(name);
  const [packed] = JSON.parse(sh(["npm", "pack", `${name}@${version}`, "--pack-destination", dir, "--json", "--silent"])) as { filename: string }[];
  const tarball = join(dir, packed!.filename);
  const [alg, want] = integrity.split("-", 2) as [string, string];
  const got = createHash(alg).update(readFileSync(tarball)).digest("base64");
  if (got !== want) throw new Error(`release: ${name}@${version} from the registry has ${alg} ${got}, package-lock.json says ${want}`);
  const unpacked = join(dir, name.replace("/", "+"));
  mkdirSync(unpacked);
  sh(["tar", "-xzf", tarball, "-C", unpacked, "package/bin/bun", "package/package.json"]);
  const { license } = JSON.parse(readFileSync(join(unpacked, "package/package.json"), "utf8")) as { license?: string };
  return { bun: join(unpacked, "package/bin/bun"), license };
}

const spdx = (license: string | undefined, of: string) => {
  if (!license) throw new Error(`release: ${of} declares no licence`);
  return [/^[\w.+-]+$/.test(license) ? { license: { id: license } } : { expression: license }];
};
const npmComponent = (name: string, version: string, license: string | undefined, integrity: string, type: string, description?: string) => {
  const [scope, bare] = name.startsWith("@") ? name.split("/") as [string, string] : [undefined, name];
  const [alg, b64] = integrity.split("-", 2) as [string, string];
  return {
    type,
    "bom-ref": `${name}@${version}`,
    ...(scope ? { group: scope } : {}),
    name: bare,
    version,
    ...(description ? { description } : {}),
    licenses: spdx(license, name),
    purl: `pkg:npm/${scope ? `${encodeURIComponent(scope)}/` : ""}${bare}@${version}`,
    hashes: [{ alg: alg.toUpperCase().replace("SHA", "SHA-"), content: Buffer.from(b64, "base64").toString("hex") }],
  };
};

/** The npm packages whose files Bun put into the bundle, from its metafile. */
function bundledPackages(metafile: string): string[] {
  const inputs = Object.keys((JSON.parse(readFileSync(metafile, "utf8")) as { inputs: Record<string, unknown> }).inputs);
  const names = inputs.flatMap((path) => {
    const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
    return m ? [m[1]!] : [];
  });
  return [...new Set(names)].sort();
}

function sbom(file: string, target: Target, metafile: string, runtimeLicense: string | undefined) {
  const runtime = locked(target.runtime);
  const components = [
    npmComponent(target.runtime, runtime.version, runtimeLicense, runtime.integrity, "platform", `the Bun runtime inside the executable (bun ${runtime.version}); what Bun itself links in is Bun's to declare`),
    ...bundledPackages(metafile).map((name) => {
      const meta = JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string; license?: string };
      const { version, integrity } = locked(name);
      if (version !== meta.version) throw new Error(`release: node_modules/${name} is ${meta.version}, package-lock.json says ${version}: run npm ci`);
      return npmComponent(name, version, meta.license, integrity, "library");
    }),
  ];
  const self = {
    type: "application",
    "bom-ref": `sbx@${pkg.version}`,
    name: "sbx",
    version: pkg.version,
    licenses: spdx(pkg.license, "sbx"),
    hashes: [{ alg: "SHA-256", content: sha256(file) }],
    properties: [{ name: "sbx:target", value: target.bun }],
  };
  return {
    bomFormat: "CycloneDX",
    specVersion: "1.5",
    version: 1,
    metadata: { component: self },
    components,
    dependencies: [{ ref: self["bom-ref"], dependsOn: components.map((c) => c["bom-ref"]) }, ...components.map((c) => ({ ref: c["bom-ref"], dependsOn: [] }))],
  };
}

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

if (import.meta.main) {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const work = mkdtempSync(join(OUT, ".work-"));
  const notes: string[] = [];
  try {
    for (const target of TARGETS) {
      const base = `sbx-${pkg.version}-${target.name}`;
      const file = join(OUT, base);
      const metafile = join(work, `${target.name}.meta.json`);
      const runtime = fetchRuntime(target.runtime, work);
      const elf = await build({ target: target.bun, outfile: file, runtime: runtime.bun, metafile });
      writeFileSync(join(OUT, `${base}.cdx.json`), JSON.stringify(sbom(file, target, metafile, runtime.license), null, 2) + "\n");
      const mb = (statSync(file).size / 1e6).toFixed(1);
      notes.push(`| \`${base}\` | ${mb} MB | ${elf.machine} | \`${elf.interpreter}\` | ${elf.needed.join(", ")} | ${target.tested} |`);
      console.log(`release: ${base} ${mb} MB ${elf.machine} ${elf.interpreter}`);
    }
  } catch (e) {
    rmSync(OUT, { recursive: true, force: true }); // never a partial release that looks like one
    throw e;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const bunVersion = locked("bun").version;
  writeFileSync(
    join(OUT, "RELEASE-NOTES.md"),
    `# sbx ${pkg.version}\n\nBuilt with Bun ${bunVersion}. Each binary has a CycloneDX SBOM beside it; SHA256SUMS covers every file.\n\n` +
      `| file | size | machine | interpreter | needs | tested |\n|---|---|---|---|---|---|\n${notes.join("\n")}\n`,
  );
  const files = [...new Bun.Glob("*").scanSync(OUT)].sort();
  writeFileSync(join(OUT, "SHA256SUMS"), files.map((f) => `${sha256(join(OUT, f))}  ${f}\n`).join(""));
  console.log(`release: ${files.length} files and SHA256SUMS in ${OUT}`);
}
