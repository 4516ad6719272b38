/** `mantile <command>`: each command lives in its own module under lib/cli. */
import { InputError } from "../core/validate";

type Command = (argv: string[]) => Promise<number>;

// Loaded lazily with require so one command's dependencies do not slow the others.
/* eslint-disable @typescript-eslint/no-var-requires */
const COMMANDS: Record<string, { about: string; load: () => Command }> = {
  estimate: { about: "cost one prefill or decode step per layer type", load: () => require("./estimate").run },
};

function usage(): string {
  return ["usage: mantile <command> [options]   (mantile <command> --help for options)", "", "commands:", ...Object.entries(COMMANDS).map(([k, v]) => `  ${k.padEnd(10)} ${v.about}`)].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === "--help" || cmd === "-h") {
    process.stdout.write(usage() + "\n");
    return cmd ? 0 : 2;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    process.stderr.write(`mantile: unknown command "${cmd}"\n${usage()}\n`);
    return 2;
  }
  try {
    return await c.load()(rest);
  } catch (e) {
    if (e instanceof InputError) {
      process.stderr.write(`mantile ${cmd}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
