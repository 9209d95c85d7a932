// The README's `docker run` sessions, run for real: each block marked `<!-- image-run: debian -->`
// holds `$ docker run …` lines and the output they print. The image is the README's own Debian
// image (test/images/image.ts), the container a real runc one with Docker's defaults, and the
// flags a session uses are turned into what Docker would hand the container. Output is compared
// exactly (stdout, then stderr); with `image-run: debian levels`, only each line's first two
// words (doctor's level and finding id), as the texts name this machine's kernel.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DOCKER_CAPS, runcHost } from "../support/runc.ts";
import { ROOT } from "../support/sbx.ts";
import { buildImage, readmeBlock, type Image } from "./image.ts";

setDefaultTimeout(60_000);


interface Session {
  line: string;
  words: string[];
  exit: number;
  output: string;
  levels: boolean;
}

/** A shell line's words: blanks split, '…' and "…" quote (no expansions: the README has none). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === " ") {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unterminated quote in ${line}`);
      word = (word ?? "") + line.slice(i + 1, end);
      i = end;
    } else word = (word ?? "") + c;
  }
  if (word !== null) words.push(word);
  return words;
}

function sessions(): Session[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  return [...readme.matchAll(/<!-- image-run: debian( levels)? -->\s*```console\n([\s\S]*?)```/g)].flatMap((m) => {
    const out: Session[] = [];
    for (const l of m[2]!.split("\n").slice(0, -1)) {
      if (l.startsWith("$ ")) {
        const [cmd, exit] = l.slice(2).split(/\s+# exit /) as [string, string | undefined];
        out.push({ line: l.slice(2), words: shellWords(cmd.trim()), exit: Number(exit ?? 0), output: "", levels: m[1] !== undefined });
      } else out.at(-1)!.output += l + "\n";
    }
    return out;
  });
}

/** What `docker run [flags] my-app [args]` hands the container, for the flags the README uses. */
function dockerRun(words: string[], image: Image) {
  if (words[0] !== "docker" || words[1] !== "run") throw new Error(`not a docker run line: ${words.join(" ")}`);
  let caps = [...DOCKER_CAPS];
  let entrypoint = image.entrypoint;
  let user: { uid: number; gid: number } | undefined;
  let noNewPrivileges = false;
  let i = 2;
  for (; words[i]!.startsWith("--"); i++) {
    const flag = words[i]!;
    const value = () => words[++i]!;
    if (flag === "--rm") continue;
    else if (flag === "--entrypoint") entrypoint = [value()];
    else if (flag === "--cap-drop") {
      const c = value();
      caps = c === "ALL" ? [] : caps.filter((x) => x !== `CAP_${c}`);
    } else if (flag === "--cap-add") caps.push(`CAP_${value()}`);
    else if (flag === "--user") {
      const [u, g] = value().split(":").map(Number) as [number, number | undefined];
      user = { uid: u, gid: g ?? u };
    } else if (flag === "--security-opt" && value() === "no-new-privileges") noNewPrivileges = true;
    else throw new Error(`docker run ${flag}: not a flag these tests apply`);
  }
  if (words[i] !== "my-app") throw new Error(`docker run: the image is my-app, not ${words[i]}`);
  const args = words.slice(i + 1);
  return { rootfs: image.rootfs, args: [...entrypoint, ...(args.length ? args : image.cmd)], caps, user, noNewPrivileges };
}

const host = runcHost();
afterAll(() => host.remove());
let image: Image;
beforeAll(() => {
  image = buildImage(readmeBlock("debian"), "amd64", { "debian:bookworm-slim": "debian-amd64" }, { "docker-entrypoint.sh": readmeBlock("docker-entrypoint.sh") });
});
afterAll(() => image?.remove());

const levels = (text: string) => text.split("\n").map((l) => l.split(/\s+/).slice(0, 2).join(" ")).join("\n");

describe("the README's docker run sessions print what it shows", () => {
  const all = sessions();
  test("there are sessions to run", () => expect(all.length).toBeGreaterThan(5));
  test.each(all.map((s) => [s.line, s] as const))("$ %s", (_line, s) => {
    const r = host.container(dockerRun(s.words, image));
    const printed = r.stdout + r.stderr;
    expect(s.levels ? levels(printed) : printed).toBe(s.levels ? levels(s.output) : s.output);
    expect(r.code).toBe(s.exit);
  });
});

test("shell words: blanks split, quotes join", () => {
  expect(shellWords(`docker run --rm my-app sh -c 'grep Cap /proc/self/status'`)).toEqual(["docker", "run", "--rm", "my-app", "sh", "-c", "grep Cap /proc/self/status"]);
  expect(shellWords(`a "b c"d ''`)).toEqual(["a", "b cd", ""]);
});
