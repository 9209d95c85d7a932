// The root filesystems the image tests run sbx in: what `FROM debian`, `FROM distroless/base` and
// an Alpine-like musl base give an image, built from Debian's packages. Building them takes
// minutes (the arm64 root runs its package scripts under qemu-user), so each is cached on this
// machine in /var/cache/sbx-test-roots/<name>-<hash of its recipe> and reused by every later run
// and every checkout; a changed recipe gets a new directory and the old one is removed.
// `npm test` builds what is missing (scripts/test.ts) before the tests start; the tests only read.
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

export const CACHE = "/var/cache/sbx-test-roots";

/** The Debian release the host runs: its apt sources name a mirror for it. */
const SUITE = /^VERSION_CODENAME=(\w+)$/m.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "bookworm";

export type RootName = "debian-amd64" | "debian-arm64" | "distroless-amd64" | "musl-amd64";

interface Recipe {
  /** Everything the result depends on: change it whenever build() changes. */
  spec: string;
  needs: RootName[];
  build(dir: string): void;
}

// /etc/passwd and /etc/group as distroless ships them (root, nobody, nonroot 65532).
const DISTROLESS_PASSWD = "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n";
const DISTROLESS_GROUP = "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n";

const RECIPES: Record<RootName, Recipe> = {
  // debootstrap's minbase: what debian:*-slim holds. The README's Dockerfile lines add the users.
  "debian-amd64": { spec: `debootstrap minbase ${SUITE} amd64`, needs: [], build: (dir) => debian(dir, "amd64") },
  "debian-arm64": { spec: `debootstrap minbase ${SUITE} arm64`, needs: [], build: (dir) => debian(dir, "arm64") },
  // glibc's own files and distroless's users: no shell, no coreutils, no package manager.
  "distroless-amd64": {
    spec: "libc6 files of debian-amd64; distroless passwd/group",
    needs: ["debian-amd64"],
    build: (dir) => {
      const from = rootPath("debian-amd64");
      copyPackageFiles(from, join(from, "var/lib/dpkg/info/libc6:amd64.list"), dir);
      finishRoot(dir, DISTROLESS_PASSWD, DISTROLESS_GROUP);
    },
  },
  // No glibc at all: Debian's musl (the loader and libc, as Alpine has) and a static busybox as
  // /bin/sh, so a test can show what a shell prints for a binary whose loader is missing.
  "musl-amd64": {
    spec: "host musl + busybox-static files; root and app users",
    needs: [],
    build: (dir) => {
      for (const p of ["musl:amd64", "busybox-static"]) copyPackageFiles("/", `/var/lib/dpkg/info/${p}.list`, dir);
      mkdirSync(join(dir, "bin"), { recursive: true });
      symlinkSync("busybox", join(dir, "bin/sh"));
      finishRoot(dir, "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n", "root:x:0:\napp:x:1000:\n");
    },
  },
};

/** A root's recipe and those of the roots it is made from. */
const fullSpec = (name: RootName): string => [RECIPES[name].spec, ...RECIPES[name].needs.map(fullSpec)].join("; ");
export const rootPath = (name: RootName) => join(CACHE, `${name}-${new Bun.CryptoHasher("sha256").update(fullSpec(name)).digest("hex").slice(0, 12)}`);

/** The cached root, or an error saying how to get it (the tests never build). */
export function root(name: RootName): string {
  const dir = rootPath(name);
  if (!existsSync(dir)) throw new Error(`${dir} is missing: run the tests with \`npm test\`, which builds the test roots`);
  return dir;
}

/** Builds every missing root (and what it is made from); logs one line per root it builds. */
export function ensureRoots(names: RootName[], log: (line: string) => void): void {
  for (const name of names) {
    const dir = rootPath(name);
    if (existsSync(dir)) continue;
    ensureRoots(RECIPES[name].needs, log);
    mkdirSync(CACHE, { recursive: true, mode: 0o755 });
    for (const old of readdirSync(CACHE)) if (old.startsWith(`${name}-`)) rmSync(join(CACHE, old), { recursive: true, force: true });
    const started = Date.now();
    log(`building test root ${name} (${RECIPES[name].spec}) in ${dir}`);
    const partial = `${dir}.partial`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { mode: 0o755 });
    RECIPES[name].build(partial);
    renameSync(partial, dir); // only a finished root is ever at the cached path
    log(`built test root ${name} in ${Math.round((Date.now() - started) / 1000)} s`);
  }
}

function sh(cmd: string[], what: string): void {
  const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) {
    const out = `${p.stdout}${p.stderr}`.trim().split("\n").slice(-15).join("\n");
    throw new Error(`${what}: ${cmd.join(" ")} exited ${p.exitCode}:\n${out}`);
  }
}

/** The http(s) mirror the host's apt sources use for its own release (debootstrap needs one). */
function aptMirror(): string {
  const dir = "/etc/apt/sources.list.d";
  const texts = [
    ...(existsSync("/etc/apt/sources.list") ? [readFileSync("/etc/apt/sources.list", "utf8")] : []),
    ...(existsSync(dir) ? readdirSync(dir).filter((f) => /\.(list|sources)$/.test(f)).map((f) => readFileSync(join(dir, f), "utf8")) : []),
  ];
  for (const text of texts) {
    for (const line of text.split("\n")) {
      const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
      if (m && m[2] === SUITE) return m[1]!;
    }
    for (const stanza of text.split(/\n\s*\n/)) {
      const field = (f: string) => new RegExp(`^${f}:\\s*(.+)$`, "mi").exec(stanza)?.[1]?.split(/\s+/) ?? [];
      if (field("Types").includes("deb") && field("Suites").includes(SUITE)) return field("URIs")[0]!;
    }
  }
  throw new Error(`no apt source for ${SUITE} in /etc/apt: debootstrap needs a Debian mirror`);
}

function debian(dir: string, arch: "amd64" | "arm64"): void {
  // A foreign arch's package scripts run under qemu-user through binfmt_misc (scripts/test.ts).
  sh(["debootstrap", "--variant=minbase", `--arch=${arch}`, SUITE, dir, aptMirror()], `debootstrap ${arch}`);
  rmSync(join(dir, "var/cache/apt/archives"), { recursive: true, force: true });
  mkdirSync(join(dir, "var/cache/apt/archives/partial"), { recursive: true });
}

/**
 * Copies what a dpkg file list names from one root into another. Top-level symlinks of a
 * merged-/usr root (lib → usr/lib) come first, so /lib/… paths land where the loader looks.
 */
function copyPackageFiles(from: string, list: string, to: string): void {
  for (const top of readdirSync(from)) {
    const src = join(from, top);
    if (!lstatSync(src).isSymbolicLink() || existsSync(join(to, top))) continue;
    const link = readlinkSync(src);
    mkdirSync(resolve(to, link), { recursive: true });
    symlinkSync(link, join(to, top));
  }
  for (const path of readFileSync(list, "utf8").split("\n").filter((p) => p && p !== "/.")) {
    const src = join(from, path), dst = join(to, path);
    const st = lstatSync(src, { throwIfNoEntry: false });
    // Skipped: listed but diverted or removed since, or already there (a merged-/usr symlink).
    if (!st || lstatSync(dst, { throwIfNoEntry: false })) continue;
    if (st.isDirectory()) {
      mkdirSync(dst, { recursive: true, mode: st.mode & 0o7777 });
      continue;
    }
    mkdirSync(dirname(dst), { recursive: true });
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else copyFileSync(src, dst);
  }
}

/** /etc/passwd and /etc/group, and the directories runc mounts over (it never writes the root). */
function finishRoot(dir: string, passwd: string, group: string): void {
  for (const d of ["etc", "proc", "dev", "sys", "tmp"]) mkdirSync(join(dir, d), { recursive: true, mode: d === "tmp" ? 0o1777 : 0o755 });
  writeFileSync(join(dir, "etc/passwd"), passwd);
  writeFileSync(join(dir, "etc/group"), group);
}
