import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a real service, which a test can cut (every connection dropped, new ones
 * refused by a closed port) and restore on the same port: the service "goes away" and comes back
 * without touching the shared Redis the other suites use.
 */
export class TcpProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private stalled = false;
  private repliesHeld = false;
  private readonly heldReplies: (() => void)[] = [];

  private constructor(
    private readonly target: { host: string; port: number },
    private listenPort: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target, 0);
    await proxy.listen();
    return proxy;
  }

  get port(): number {
    return this.listenPort;
  }

  /** Keeps every connection open but forwards nothing: the service hangs. */
  stall(): void {
    this.stalled = true;
  }

  /**
   * Forwards what clients send but holds the service's replies until resume(): the service does
   * the work and answers late, as a slow Redis does.
   */
  holdReplies(): void {
    this.repliesHeld = true;
  }

  resume(): void {
    this.stalled = false;
    this.repliesHeld = false;
    for (const flush of this.heldReplies.splice(0)) flush();
  }

  /** Drops every connection and stops listening. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens again on the same port. */
  async restore(): Promise<void> {
    if (!this.server) await this.listen();
  }

  close(): Promise<void> {
    return this.cut();
  }

  private listen(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          this.sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      client.on('data', (data: Buffer) => this.stalled || upstream.write(data));
      upstream.on('data', (data: Buffer) => {
        if (this.stalled) return;
        if (this.repliesHeld) this.heldReplies.push(() => client.write(data));
        else client.write(data);
      });
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenPort, '127.0.0.1', () => {
        const address = server.address();
        if (address && typeof address === 'object') this.listenPort = address.port;
        resolve();
      });
    });
  }
}
