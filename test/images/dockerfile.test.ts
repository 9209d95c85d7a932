// The top-level Dockerfile, applied as BuildKit would per platform (test/images/image.ts): which
// release file lands at /sbx and /sbx-musl, and that an unsupported platform fails.
import { expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../support/sbx.ts";
import { sbxImage } from "./image.ts";

const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const release = (target: string) => join(ROOT, `dist/release/sbx-${VERSION}-${target}`);

test.each([
  ["amd64", "", "linux-x64"],
  ["amd64", "v3", "linux-x64"], // every amd64 level: Bun ships one x64 runtime
  ["arm64", "", "linux-arm64"],
  ["arm64", "v8", "linux-arm64"],
])("linux/%s%s: /sbx is %s (glibc) and /sbx-musl its musl build, nothing else", (arch, variant, target) => {
  const image = sbxImage(arch, variant);
  expect(Object.fromEntries(image)).toEqual({ "/sbx": release(target), "/sbx-musl": release(`${target}-musl`) });
  for (const file of image.values()) expect(existsSync(file)).toBe(true);
});

test("a platform without a binary (linux/arm/v7) fails instead of pulling an image named like the stage", () => {
  expect(() => sbxImage("arm", "v7")).toThrow("FROM sbx-armv7: no such stage");
});

test("the Dockerfile's default SBX_VERSION is package.json's version", () => {
  expect(readFileSync(join(ROOT, "Dockerfile"), "utf8")).toContain(`ARG SBX_VERSION=${VERSION}\n`);
});
