/**
 * The real Temporal server, its SQL tool and the Web UI server, built from their Go modules at the versions
 * docker-compose.yml pins, and cached outside the repo (XDG cache): the first run builds (minutes), later runs
 * find them.
 */
import { ProvisionError, goBuild } from '../provision';

type Log = (line: string) => void;

export interface ClusterVersions {
  /** temporalio/server's tag, e.g. 1.29.7 */
  server: string;
  /** temporalio/ui's tag, e.g. 2.54.1 */
  ui: string;
}

export interface ClusterBinaries {
  server: string;
  sqlTool: string;
  uiServer: string;
  /** Wall time spent building now; 0 when everything came from the cache. */
  builtMs: number;
}

const SERVER_MODULE = 'go.temporal.io/server';
const UI_MODULE = 'github.com/temporalio/ui-server/v2';

export async function ensureClusterBinaries(versions: ClusterVersions, log: Log): Promise<ClusterBinaries> {
  const started = performance.now();
  let built = false;
  const build = async (module: string, version: string, pkg: string, binary: string, tags: string[] = []) => {
    const noteBuild = (line: string) => {
      built = true;
      log(line);
    };
    const out = await goBuild(module, version, pkg, binary, noteBuild, tags);
    if (!out) throw new ProvisionError(`building ${binary} needs the go command on PATH (Go 1.24 or newer)`);
    return out;
  };
  const server = await build(SERVER_MODULE, `v${versions.server}`, 'cmd/server', 'temporal-server', [
    // the server's optional gRPC modules are not needed and pull in more to build
    'disable_grpc_modules',
  ]);
  const sqlTool = await build(SERVER_MODULE, `v${versions.server}`, 'cmd/tools/sql', 'temporal-sql-tool');
  const uiServer = await build(UI_MODULE, `v${versions.ui}`, 'cmd/server', 'temporal-ui-server');
  return { server, sqlTool, uiServer, builtMs: built ? performance.now() - started : 0 };
}
