import { type DnsServer, formatListenAddress } from '../../../host/dns/index.js';

export interface BridgeListenerOptions {
  dns: Pick<DnsServer, 'addListener' | 'addresses'>;
  /** `bridge_ip`. */
  host: string;
  /** The DNS port: the loopback listener's, so resolved and dig use one port. */
  port: number;
  /** Called once with "IP:PORT" when the listener is bound. */
  onListening(address: string): void;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** How often to retry while the bridge (hence its address) does not exist. Default 5 s. */
  retryMs?: number;
}

export interface BridgeListener {
  /** Resolves true once bound, false when stopped (or the server closed) first. */
  readonly bound: Promise<boolean>;
  /** Stops retrying; a bound listener stays until the DNS server closes. Idempotent. */
  stop(): void;
}

/**
 * Makes the DNS server also listen on the bridge address, which is where
 * systemd-resolved sends `*.vm` questions (docs/dns-routing.md: a per-link
 * server must be an address of that link). The bridge may not exist yet
 * when the daemon starts (`banger system setup` or the daemon's own network
 * start creates it), so binding is retried until it succeeds. Never throws
 * and never delays daemon start: failures are logged, once per kind.
 */
export function listenOnBridge(o: BridgeListenerOptions): BridgeListener {
  const address = { host: o.host, port: o.port };
  const where = formatListenAddress(address);
  // A wildcard listener already receives the bridge's packets (and would make the bind fail).
  const existing = o.dns.addresses().find((a) => a.host === '0.0.0.0' || a.host === o.host);
  if (existing !== undefined) return { bound: Promise.resolve(existing.host === o.host), stop: () => {} };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let lastCode: string | undefined;
  let settle: (bound: boolean) => void = () => {};
  const bound = new Promise<boolean>((resolve) => {
    settle = resolve;
  });

  const attempt = async (): Promise<void> => {
    timer = undefined;
    if (stopped) return;
    try {
      const actual = await o.dns.addListener(address);
      const text = formatListenAddress(actual);
      o.log.info({ address: text }, 'DNS server listening on the bridge address');
      o.onListening(text);
      settle(true);
      return;
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'unknown';
      // The server is closing or closed: nothing left to listen for.
      if (code === 'internal' || code === 'cancelled') return stop();
      if (code !== lastCode) {
        lastCode = code;
        const msg = (err as Error).message;
        if (code === 'host_unsupported') o.log.info({ address: where }, `${msg}; retrying`);
        else
          o.log.warn(
            { address: where, err: msg },
            'DNS server cannot listen on the bridge address; retrying',
          );
      }
    }
    if (!stopped) {
      timer = setTimeout(() => void attempt(), o.retryMs ?? 5000);
      timer.unref();
    }
  };

  const stop = () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    timer = undefined;
    settle(false);
  };

  void attempt();
  return { bound, stop };
}
