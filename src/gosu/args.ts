// gosu's command line (tianon/gosu main.go): only argv[1] is ever an option.
//   gosu --help | -h | -?  [anything]  → usage on stdout, exit 0
//   gosu --version | -v    [anything]  → "<version line>\n" on stdout, exit 0
//   gosu | gosu SPEC                   → usage on stderr, exit 1
//   gosu SPEC CMD [ARGS…]              → run; "gosu --user x true" looks up a user named "--user",
//                                         "gosu nobody --help" runs a program named "--help".
import type { ByteString } from "../text/bytes.ts";

export type GosuCall =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | { readonly kind: "usage-error" }
  | { readonly kind: "run"; readonly spec: ByteString; readonly argv: readonly ByteString[] };

/** `args` = argv without argv[0]. */
export function classifyGosuArgs(args: readonly ByteString[]): GosuCall {
  const [first, ...rest] = args;
  if (first === "--help" || first === "-h" || first === "-?") return { kind: "help" };
  if (first === "--version" || first === "-v") return { kind: "version" };
  if (first === undefined || rest.length === 0) return { kind: "usage-error" };
  return { kind: "run", spec: first, argv: rest };
}
