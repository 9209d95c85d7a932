// gosu's own test suite (tianon/gosu Dockerfile.test-debian), run against gosu mode as root, with
// the users and groups the suite sets up (nobody added to every group, games to users) in a
// private mount namespace over this machine's /etc/passwd and /etc/group. Each RUN line is kept
// as the suite writes it; the two empty-user cases, which gosu runs as the caller and sbx refuses
// by design, are asserted refused instead. The same lines run against the real gosu as a control.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireTools } from "../support/privileged.ts";
import { run, SBX } from "../support/sbx.ts";

requireTools("gosu", "unshare", "mount");

const tmp = mkdtempSync(join(tmpdir(), "sbx-gosu-suite-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// A fresh Debian image has no user or group numbered 1000 and up (but nobody/nogroup): drop this
// machine's, then apply the suite's set-up: `usermod -aG <every group> nobody`, `usermod -aG users games`.
const system = (text: string, idField: number) =>
  text.trim().split("\n").filter((l) => {
    const id = Number(l.split(":")[idField]);
    return id < 1000 || id === 65534;
  });
const addMember = (line: string, user: string) => {
  const f = line.split(":");
  const members = (f[3] ?? "").split(",").filter(Boolean);
  if (!members.includes(user)) members.push(user);
  return [f[0], f[1], f[2], members.join(",")].join(":");
};
const groups = system(readFileSync("/etc/group", "utf8"), 2).map((l) => addMember(l, "nobody")).map((l) => (l.startsWith("users:") ? addMember(l, "games") : l));
writeFileSync(join(tmp, "group"), groups.join("\n") + "\n");
writeFileSync(join(tmp, "passwd"), system(readFileSync("/etc/passwd", "utf8"), 2).join("\n") + "\n");

// gosu-t, as the suite writes it.
const GOSU_T = `#!/bin/sh
set -ex

spec="$1"; shift

expec="$1"; shift
real="$(gosu "$spec" id -u):$(gosu "$spec" id -g):$(gosu "$spec" id -G)"
[ "$expec" = "$real" ]

expec="$1"; shift
real="$(gosu "$spec" id -un):$(gosu "$spec" id -gn):$(gosu "$spec" id -Gn)" || true
[ "$expec" = "$real" ]
`;

/** The suite's RUN lines (after its set-up), verbatim. */
const RUN = [
  `gosu-t 0 "0:0:$(id -G root)" "root:root:$(id -Gn root)"`,
  `gosu-t 0:0 '0:0:0' 'root:root:root'`,
  `gosu-t root "0:0:$(id -G root)" "root:root:$(id -Gn root)"`,
  `gosu-t 0:root '0:0:0' 'root:root:root'`,
  `gosu-t root:0 '0:0:0' 'root:root:root'`,
  `gosu-t root:root '0:0:0' 'root:root:root'`,
  `gosu-t 1000 "1000:$(id -g):$(id -g)" "1000:$(id -gn):$(id -gn)"`,
  `gosu-t 0:1000 '0:1000:1000' 'root:1000:1000'`,
  `gosu-t 1000:1000 '1000:1000:1000' '1000:1000:1000'`,
  `gosu-t root:1000 '0:1000:1000' 'root:1000:1000'`,
  `gosu-t 1000:root '1000:0:0' '1000:root:root'`,
  `gosu-t 1000:daemon "1000:$(id -g daemon):$(id -g daemon)" '1000:daemon:daemon'`,
  `gosu-t games "$(id -u games):$(id -g games):$(id -G games)" 'games:games:games users'`,
  `gosu-t games:daemon "$(id -u games):$(id -g daemon):$(id -g daemon)" 'games:daemon:daemon'`,
  `gosu-t 0: "0:0:$(id -G root)" "root:root:$(id -Gn root)"`,
  `[ "$(gosu 0 env | grep '^HOME=')" = 'HOME=/root' ]`,
  `[ "$(gosu 0:0 env | grep '^HOME=')" = 'HOME=/root' ]`,
  `[ "$(gosu root env | grep '^HOME=')" = 'HOME=/root' ]`,
  `[ "$(gosu 0:root env | grep '^HOME=')" = 'HOME=/root' ]`,
  `[ "$(gosu root:0 env | grep '^HOME=')" = 'HOME=/root' ]`,
  `[ "$(gosu root:root env | grep '^HOME=')" = 'HOME=/root' ]`,
  `[ "$(gosu 0:1000 env | grep '^HOME=')" = 'HOME=/root' ]`,
  `[ "$(gosu root:1000 env | grep '^HOME=')" = 'HOME=/root' ]`,
  `[ "$(gosu 1000 env | grep '^HOME=')" = 'HOME=/' ]`,
  `[ "$(gosu 1000:0 env | grep '^HOME=')" = 'HOME=/' ]`,
  `[ "$(gosu 1000:root env | grep '^HOME=')" = 'HOME=/' ]`,
  `[ "$(gosu games env | grep '^HOME=')" = 'HOME=/usr/games' ]`,
  `[ "$(gosu games:daemon env | grep '^HOME=')" = 'HOME=/usr/games' ]`,
  `! gosu bogus true`,
  `! gosu 0day true`,
  `! gosu 0:bogus true`,
  `! gosu 0:0day true`,
];
/** The suite's empty-user lines: gosu keeps the caller (root) there; sbx refuses, in every mode. */
const EMPTY_USER = [`gosu-t '' "$(id -u):$(id -g):$(id -G)" "$(id -un):$(id -gn):$(id -Gn)"`, `gosu-t ':0' "$(id -u):0:0" "$(id -un):root:root"`];

function binWith(name: string, gosu: string): string {
  const bin = join(tmp, name);
  mkdirSync(bin);
  symlinkSync(gosu, join(bin, "gosu"));
  writeFileSync(join(bin, "gosu-t"), GOSU_T, { mode: 0o755 });
  return bin;
}
const OURS = binWith("sbx", SBX);
const THEIRS = binWith("real", run(["sh", "-c", "command -v gosu"]).stdout.trim());

/** Run one RUN line in a mount namespace with the suite's /etc/passwd and /etc/group, gosu first in PATH. */
function suiteLine(bin: string, line: string) {
  const setup = `mount --bind ${tmp}/passwd /etc/passwd && mount --bind ${tmp}/group /etc/group && exec sh -c "$0"`;
  return run(["unshare", "-m", "--propagation", "private", "sh", "-c", setup, line], {
    env: { PATH: `${bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, HOME: "/omg/really/gosu/nowhere" },
  });
}

describe("gosu's own test suite (Dockerfile.test-debian)", () => {
  test.each(RUN)("%s", (line) => {
    const control = suiteLine(THEIRS, line);
    expect(control.code).toBe(0); // the suite holds for the real gosu here
    const r = suiteLine(OURS, line);
    expect({ code: r.code, stderr: r.code === 0 ? "" : r.stderr }).toEqual({ code: 0, stderr: "" });
  });

  test.each(EMPTY_USER)("%s: gosu runs it as the caller; sbx refuses the empty user part", (line) => {
    expect(suiteLine(THEIRS, line).code).toBe(0);
    const r = suiteLine(OURS, line);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("the user part is empty");
  });
});
