import { DEFAULT_CHAOS_OPTIONS, randomSeed, type ChaosOptions } from '../../chaos/lib/options';
import { formatTable } from '../../chaos/lib/report';
import type { ChaosResult } from '../../chaos/lib/result';
import { runChaos } from '../../chaos/lib/run-chaos';

/**
 * A shortened chaos run from src/ (no build needed): the defaults, then `overrides`; CHAOS_SEED repeats a run.
 * Returns the result and its report (the run's log and table) for assertion messages; prints the table.
 */
export async function runShortChaos(
  overrides: Partial<ChaosOptions>,
): Promise<{ result: ChaosResult; report: string }> {
  const seed = Number(process.env.CHAOS_SEED) || randomSeed();
  const lines: string[] = [];
  const result = await runChaos({ ...DEFAULT_CHAOS_OPTIONS, ...overrides, seed, entry: 'src' }, (line) =>
    lines.push(line),
  );
  console.log(formatTable(result));
  return { result, report: `${lines.join('\n')}\n${formatTable(result)}` };
}
