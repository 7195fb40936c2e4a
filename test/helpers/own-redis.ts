import { getFreePort } from '../../scripts/lib/managed-process';
import { ensureRedisServer } from '../../scripts/lib/redis-server';
import { startRedisServer, type RunningService } from '../../scripts/lib/services';

/** A Redis of a test's own, on its own port, that the test may stop and start again (the run's Redis is shared). */
export class OwnRedis {
  private running?: RunningService;

  private constructor(
    private readonly binary: string,
    readonly port: number,
  ) {}

  static async start(): Promise<OwnRedis> {
    const own = new OwnRedis(await ensureRedisServer(), await getFreePort());
    await own.up();
    return own;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it again on the same port (empty: it keeps nothing on disk). */
  async up(): Promise<void> {
    this.running ??= await startRedisServer({ binary: this.binary, port: this.port, echo: false });
  }

  async down(): Promise<void> {
    await this.running?.process.stop();
    this.running = undefined;
  }
}
