/**
 * The load's sender in a thread of its own: its event loop is not the one that serves the Vesper stand-in and
 * polls Redis for effects, so an answer's latency is the system's, not the benchmark's own lag. Times cross the
 * thread boundary as epoch milliseconds (each thread has its own performance.now origin).
 */
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { closedLoop, openLoop, type AckResult, type BenchEvent } from './load';

interface Job {
  kind: 'closed' | 'open';
  url: string;
  events: BenchEvent[];
  /** Senders (closed) or events per second (open). */
  param: number;
}

/** Runs one load in a sender thread; the answers' times are on this thread's performance.now() clock. */
export function sendInThread(job: Job): Promise<AckResult[][]> {
  return new Promise((resolve, reject) => {
    // tsx's loader is not inherited by threads: the thread registers it before loading this file
    const file = JSON.stringify(path.join(__dirname, 'sender-thread.ts'));
    const thread = new Worker(`require('tsx/cjs'); require(${file});`, { eval: true, workerData: job });
    thread.once('message', (answers: AckResult[][]) =>
      resolve(
        answers.map((attempts) => attempts.map((a) => ({ ...a, sentAt: a.sentAt - performance.timeOrigin }))),
      ),
    );
    thread.once('error', reject);
    thread.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the sender thread exited with ${code}`));
    });
  });
}

async function runJob({ kind, url, events, param }: Job): Promise<void> {
  const answers =
    kind === 'closed' ? await closedLoop(url, events, param) : await openLoop(url, events, param);
  parentPort?.postMessage(
    answers.map((attempts) => attempts.map((a) => ({ ...a, sentAt: a.sentAt + performance.timeOrigin }))),
  );
}

if (!isMainThread) void runJob(workerData as Job);
