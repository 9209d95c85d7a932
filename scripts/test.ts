// `npm test [-- BUN_TEST_ARGS…]`: brings what the test lanes need, builds, runs the whole suite
// and ends with one summary line. `.ci/run` calls exactly this.
//
// The lanes exec the real binary under real tools (capsh, setpriv, runc, gosu, debootstrap'd
// roots under qemu-user…). As root, missing Debian packages are installed and the qemu-aarch64
// binfmt entry is registered (what systemd-binfmt does at boot); otherwise one line names what is
// missing and the run fails, so a newcomer never gets a green run that quietly skipped the lanes.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ensureRoots, rootPath, type RootName } from "../test/images/roots.ts";
import { summarize } from "./test-summary.ts";

const ROOT = resolve(import.meta.dir, "..");
const IS_ROOT = process.getuid?.() === 0;
const PATH = `${process.env.PATH ?? ""}:/usr/local/sbin:/usr/sbin:/sbin`;
const has = (cmd: string) => Bun.which(cmd, { PATH }) !== null;
const say = (line: string) => console.log(`npm test: ${line}`);

// What each lane needs, and the Debian package that brings it.
const PACKAGES: [ready: () => boolean, pkg: string[]][] = [
  [() => has("capsh") && has("setcap"), ["libcap2-bin"]], // capability lanes
  [() => ["setpriv", "unshare", "prlimit", "setsid"].every(has), ["util-linux"]],
  [() => has("mount"), ["mount"]],
  [() => existsSync("/usr/bin/python3"), ["python3"]],
  [() => existsSync("/usr/bin/python3") && Bun.spawnSync(["/usr/bin/python3", "-c", "import seccomp"]).exitCode === 0, ["python3-seccomp"]], // the libseccomp comparison
  [() => has("gosu"), ["gosu"]], // gosu side by side
  [() => existsSync("/usr/share/containers/seccomp.json"), ["golang-github-containers-common"]], // containers/common's seccomp profile (Podman, Buildah, CRI-O)
  [() => has("gcc"), ["gcc", "libc6-dev"]], // small test helpers
  [() => has("strace"), ["strace"]], // holds sbx at its execve to look at its threads
  [() => has("runc"), ["runc"]], // real OCI containers
  [() => has("newuidmap"), ["uidmap"]], // rootless runc
  [() => has("debootstrap"), ["debootstrap"]], // the image tests' Debian roots
  [() => has("qemu-aarch64-static"), ["qemu-user-static"]], // the arm64 root and binary
  [() => existsSync("/lib/ld-musl-x86_64.so.1"), ["musl"]], // the root without glibc
  [() => existsSync("/bin/busybox"), ["busybox-static"]], // its shell
];
const ROOTS: RootName[] = ["debian-amd64", "distroless-amd64", "musl-amd64", "debian-arm64"];
const BINFMT = "/proc/sys/fs/binfmt_misc";
const QEMU_CONF = "/usr/lib/binfmt.d/qemu-aarch64.conf"; // from qemu-user-static

/** The kernel runs aarch64 ELF files through qemu, with F (the interpreter opened once, so it works inside containers). */
function binfmtReady(): boolean {
  const entry = `${BINFMT}/qemu-aarch64`;
  if (!existsSync(entry)) return false;
  const text = readFileSync(entry, "utf8");
  return /^enabled$/m.test(text) && /^flags: .*F/m.test(text);
}

/** A failure before any test ran still ends with the summary line CI reads. */
function fail(line: string): never {
  say(line);
  console.log("0 passed, 1 failed");
  process.exit(1);
}

function run(cmd: string[], what: string): void {
  const p = Bun.spawnSync(cmd, { cwd: ROOT, stdout: "inherit", stderr: "inherit", env: { ...process.env, PATH, DEBIAN_FRONTEND: "noninteractive" } });
  if (p.exitCode !== 0) fail(`${what} failed (${cmd.join(" ")} exited ${p.exitCode})`);
}

const missing = PACKAGES.filter(([ready]) => !ready()).flatMap(([, pkg]) => pkg);
if (!IS_ROOT) {
  const roots = ROOTS.filter((r) => !existsSync(rootPath(r)));
  const lacks = [
    ...(missing.length ? [`Debian packages ${missing.join(" ")} (apt-get install ${missing.join(" ")})`] : []),
    ...(roots.length ? [`test roots ${roots.join(", ")} (built into /var/cache/sbx-test-roots by npm test as root)`] : []),
    ...(binfmtReady() ? [] : [`the qemu-aarch64 binfmt_misc entry (registered from ${QEMU_CONF} by npm test as root)`]),
  ];
  if (lacks.length) {
    say(`not root and missing ${lacks.join("; ")}`); // one line, and no test has run
    process.exit(1);
  }
}
if (missing.length) {
  say(`installing the Debian packages the lanes need: ${missing.join(" ")}`);
  run(["apt-get", "update", "-qq"], "apt-get update");
  run(["apt-get", "install", "-y", "-qq", "-o", "Dpkg::Use-Pty=0", ...missing], "apt-get install");
}
if (!binfmtReady()) {
  if (!existsSync(`${BINFMT}/register`)) run(["mount", "-t", "binfmt_misc", "binfmt_misc", BINFMT], "mounting binfmt_misc");
  if (!existsSync(`${BINFMT}/qemu-aarch64`)) writeFileSync(`${BINFMT}/register`, readFileSync(QEMU_CONF, "utf8").trim());
  if (!binfmtReady()) fail(`${BINFMT}/qemu-aarch64 is registered without the F flag or disabled: the arm64 lanes cannot run in containers`);
}

run([process.execPath, "run", "scripts/build.ts"], "building dist/sbx");
run([process.execPath, "run", "scripts/release.ts"], "building the release");
try {
  ensureRoots(ROOTS, say);
} catch (e) {
  fail(`building the test roots failed: ${e instanceof Error ? e.message : e}`);
}

mkdirSync(join(ROOT, ".tmp"), { recursive: true });
const junit = join(ROOT, ".tmp/junit.xml");
rmSync(junit, { force: true }); // a report left from an earlier run must never count
const bun = Bun.spawn([process.execPath, "test", "--reporter=junit", `--reporter-outfile=${junit}`, ...process.argv.slice(2)], {
  cwd: ROOT,
  stdout: "pipe",
  stderr: "pipe",
});
// Shown as it comes and kept: bun counts errors outside tests only in its log.
let log = "";
const pump = async (from: ReadableStream<Uint8Array>, to: typeof Bun.stdout) => {
  for await (const chunk of from) {
    log += Buffer.from(chunk).toString();
    await Bun.write(to, chunk);
  }
};
await Promise.all([pump(bun.stdout, Bun.stdout), pump(bun.stderr, Bun.stderr), bun.exited]);
const { lines, ok } = summarize(junit, log);
for (const line of lines) console.log(line);
process.exit(ok && bun.exitCode === 0 ? 0 : 1);
