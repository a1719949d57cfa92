/** Process exit codes (docs/architecture.md, "How it runs"). */
export const EXIT_OK = 0;
/** A runtime failure: cannot listen, a crash. */
export const EXIT_RUNTIME = 1;
/** The command line is wrong. */
export const EXIT_USAGE = 2;
/** The configuration was read but cannot be enforced, so it is refused. */
export const EXIT_CONFIG_REFUSED = 3;
