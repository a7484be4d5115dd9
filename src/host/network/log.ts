/**
 * The logging the network modules need; pino's Logger satisfies it. Kept
 * minimal so these modules do not depend on the daemon's logger setup.
 */
export interface NetworkLog {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}

export const silentNetworkLog: NetworkLog = {
  info: () => {},
  warn: () => {},
};
