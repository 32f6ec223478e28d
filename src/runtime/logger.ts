/** Log levels and the one logger the client writes through. Nothing logged carries the API key. */
import { redactText } from "./redact.js";

export type LogLevel = "debug" | "info" | "warn" | "error" | "off";
export interface Logger {
  debug(message: string, ...rest: unknown[]): void;
  info(message: string, ...rest: unknown[]): void;
  warn(message: string, ...rest: unknown[]): void;
  error(message: string, ...rest: unknown[]): void;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, off: 100 };

export function parseLogLevel(value: string | undefined, source: string): LogLevel | undefined {
  // Stryker disable next-line ConditionalExpression,StringLiteral: PAYI_LOG comes through env(), which gives undefined for a blank value
  if (value === undefined || value === "") return undefined;
  const v = value.toLowerCase();
  if (Object.hasOwn(RANK, v)) return v as LogLevel;
  throw new RangeError(`${source} must be one of ${Object.keys(RANK).join(", ")}; got ${JSON.stringify(value)}`);
}

/** A logger that drops what is below `level` and scrubs the key from every string it writes. */
export function makeLogger(level: LogLevel, sink: Logger, secret: string | undefined): Logger {
  const emit =
    (at: Exclude<LogLevel, "off">) =>
    (message: string, ...rest: unknown[]) => {
      if (RANK[at] < RANK[level]) return;
      sink[at](redactText(message, secret), ...rest.map((r) => (typeof r === "string" ? redactText(r, secret) : r)));
    };
  return { debug: emit("debug"), info: emit("info"), warn: emit("warn"), error: emit("error") };
}

const warned = new Set<string>();
/** Emits a warning once per process for a given key. */
export function warnOnce(logger: Logger, key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  logger.warn(message);
}
