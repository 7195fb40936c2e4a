import { mkdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { TOOLS_BIN_DIR } from './paths';

/** A stable name in .tools/bin for a cached binary, for scripts that call it by name (the compose jobs). */
export function linkTool(name: string, target: string): string {
  mkdirSync(TOOLS_BIN_DIR, { recursive: true });
  const linkPath = path.join(TOOLS_BIN_DIR, name);
  const tmp = `${linkPath}.${process.pid}.tmp`;
  rmSync(tmp, { force: true });
  symlinkSync(path.resolve(target), tmp);
  renameSync(tmp, linkPath);
  return linkPath;
}
