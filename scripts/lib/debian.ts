import { findOnPath, lastLine, run } from './run';

type Log = (line: string) => void;

/** Whether this is a Debian-like machine where we may install packages ourselves (root, apt-get present). */
export function canAptInstall(): boolean {
  return findOnPath('apt-get') !== undefined && process.getuid?.() === 0;
}

/**
 * Installs Debian packages with apt-get (the package lists are refreshed when the first try fails, as on a fresh
 * machine). Only as root; callers say what to install by hand otherwise.
 */
export async function aptInstall(packages: string[], log: Log): Promise<void> {
  const aptGet = findOnPath('apt-get');
  if (!aptGet || process.getuid?.() !== 0) {
    throw new Error(`cannot install ${packages.join(' ')}: not root, or no apt-get`);
  }
  log(`installing the Debian package(s) ${packages.join(' ')} ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => run(aptGet, ['install', '-y', '--no-install-recommends', ...packages], { env });
  let result = await install();
  if (result.code !== 0) {
    await run(aptGet, ['update'], { env });
    result = await install();
  }
  if (result.code !== 0) throw new Error(`apt-get install ${packages.join(' ')} failed: ${lastLine(result)}`);
}
