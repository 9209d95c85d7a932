// Images as the README's Dockerfile lines make them, without a Docker engine: the few instructions
// those lines use (ARG, FROM, COPY, RUN, ENTRYPOINT, CMD) applied to a cached root filesystem
// through an overlay, so the tests run exactly the lines a reader copies. RUN runs in the image
// root by chroot (an arm64 root's programs under qemu-user). Anything else is an error: a README
// line these tests cannot apply is a line they do not test.
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ROOT } from "../support/sbx.ts";
import { root, type RootName } from "./roots.ts";

export type Arch = "amd64" | "arm64";

/** Docker's instruction lines: comments and blank lines dropped, backslash continuations joined. */
function instructions(text: string): [op: string, rest: string][] {
  return text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const m = /^(\w+)\s+(.*)$/.exec(l);
      if (!m) throw new Error(`not an instruction: ${l}`);
      return [m[1]!.toUpperCase(), m[2]!];
    });
}

const expand = (s: string, vars: Record<string, string>) =>
  s.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a, b) => {
    const v = vars[a ?? b];
    if (v === undefined) throw new Error(`\${${a ?? b}} is not set`);
    return v;
  });

/**
 * The top-level Dockerfile for one platform as BuildKit would build it: image path → the file in
 * the build context. BuildKit's TARGETARCH/TARGETVARIANT: linux/arm64 → "arm64", "".
 */
export function sbxImage(targetArch: string, targetVariant = ""): Map<string, string> {
  const global: Record<string, string> = { TARGETARCH: targetArch, TARGETVARIANT: targetVariant };
  const stages = new Map<string, Map<string, string>>();
  let files: Map<string, string> | undefined;
  let vars: Record<string, string> = {};
  for (const [op, rest] of instructions(readFileSync(join(ROOT, "Dockerfile"), "utf8"))) {
    if (op === "ARG") {
      const [name, value] = rest.split("=", 2) as [string, string | undefined];
      if (!files) global[name] ??= value ?? "";
      else vars[name] = global[name] ?? value ?? "";
    } else if (op === "FROM") {
      const [from, as] = expand(rest, global).split(/\s+AS\s+/i) as [string, string | undefined];
      const base = from === "scratch" ? new Map<string, string>() : stages.get(from);
      if (!base) throw new Error(`FROM ${from}: no such stage (BuildKit would try to pull an image of that name)`);
      files = new Map(base);
      vars = {};
      if (as) stages.set(as, files);
    } else if (op === "COPY" && files) {
      const [src, dst] = expand(rest, vars).split(/\s+/) as [string, string];
      files.set(dst, join(ROOT, src));
    } else throw new Error(`Dockerfile: ${op} is not used by sbx's image`);
  }
  if (!files) throw new Error("Dockerfile has no FROM");
  return files;
}

/** The text of the README's fenced block that follows `<!-- image-test: NAME -->`. */
export function readmeBlock(name: string): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const m = new RegExp(`<!-- image-test: ${name} -->\\s*\`\`\`\\w*\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!m) throw new Error(`README.md has no block marked image-test: ${name}`);
  return m[1]!;
}

export interface Image {
  rootfs: string;
  entrypoint: string[];
  cmd: string[];
  remove(): void;
}

/**
 * Builds `dockerfile` (a README block) over the cached root its FROM names, for `arch`.
 * `bases` maps the FROM image to a root; `COPY --from=<sbx image>` reads Dockerfile's /sbx and
 * /sbx-musl; a plain COPY takes a file from `context`, name → text (e.g. the README's
 * docker-entrypoint.sh), written with mode 0644 as a user's editor would leave it.
 */
export function buildImage(dockerfile: string, arch: Arch, bases: Record<string, RootName>, context: Record<string, string> = {}): Image {
  const tmp = mkdtempSync(join(tmpdir(), "sbx-image-"));
  chmodSync(tmp, 0o755); // the rootless runner reads the root through here
  const [upper, work, rootfs] = ["upper", "work", "rootfs"].map((d) => join(tmp, d)) as [string, string, string];
  for (const d of [upper, work, rootfs]) mkdirSync(d, { mode: 0o755 });
  let mounted = false;
  const remove = () => {
    if (mounted) Bun.spawnSync(["umount", rootfs]);
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    let entrypoint: string[] = [], cmd: string[] = [];
    for (const [op, rest] of instructions(dockerfile)) {
      if (op === "FROM") {
        const base = bases[rest];
        if (!base) throw new Error(`FROM ${rest}: no test root for it`);
        const p = Bun.spawnSync(["mount", "-t", "overlay", "overlay", "-o", `lowerdir=${root(base)},upperdir=${upper},workdir=${work}`, rootfs], { stderr: "pipe" });
        if (p.exitCode !== 0) throw new Error(`overlay over ${base}: ${p.stderr}`);
        mounted = true;
        mkdirSync(join(rootfs, "out"), { mode: 0o755 }); // where the tests' containers write
      } else if (op === "COPY") {
        // COPY [--from=IMAGE] [--chmod=MODE] SRC DST: without --chmod the source's mode is kept, as Docker does.
        const m = /^(?:--from=(\S+)\s+)?(?:--chmod=([0-7]+)\s+)?(\S+)\s+(\S+)$/.exec(rest);
        if (!m) throw new Error(`COPY ${rest}: not a form these tests apply`);
        const [, image, mode, src, dst] = m as unknown as [string, string | undefined, string | undefined, string, string];
        if (image && !/^sbx(:|$)/.test(image)) throw new Error(`COPY --from=${image}: only sbx's own image is known here`);
        const file = image ? sbxImage(arch).get(src) : undefined;
        if (image ? !file : context[src] === undefined) throw new Error(`COPY ${rest}: no such file in ${image ? "the sbx image" : "the build context"}`);
        const target = dst.endsWith("/") ? join(rootfs, dst, src.split("/").pop()!) : join(rootfs, dst);
        mkdirSync(resolve(target, ".."), { recursive: true });
        if (file) copyFileSync(file, target);
        else writeFileSync(target, context[src]!, { mode: 0o644 });
        if (mode) chmodSync(target, parseInt(mode, 8));
      } else if (op === "RUN") {
        const p = Bun.spawnSync(["chroot", rootfs, "/bin/sh", "-c", rest], { stdout: "pipe", stderr: "pipe" });
        if (p.exitCode !== 0) throw new Error(`RUN ${rest}: exit ${p.exitCode}: ${p.stderr}`);
      } else if (op === "ENTRYPOINT") entrypoint = JSON.parse(rest);
      else if (op === "CMD") cmd = JSON.parse(rest);
      else throw new Error(`${op}: not an instruction these tests apply`);
    }
    if (!mounted) throw new Error("no FROM");
    return { rootfs, entrypoint, cmd, remove };
  } catch (e) {
    remove();
    throw e;
  }
}
