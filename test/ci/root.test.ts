// Privileged tests cannot quietly disappear: under CI the suite must run as root, with the
// tools every lane needs.
import { expect, test } from "bun:test";
import { requireTools } from "../support/privileged.ts";

test.if(process.env.CI === "true")("CI runs the suite as root with the lane tools installed", () => {
  expect(process.getuid!()).toBe(0);
  requireTools("capsh", "setpriv", "unshare", "prlimit", "setsid", "mount", "mkfifo", "setcap", "gosu", "gcc", "/usr/bin/python3", "runc", "newuidmap", "strace");
});
