import { which } from '../../../host/probe.js';
import { HOST_TOOLS } from '../../../host/system/host-tools.js';
import type { CheckDefinition } from './registry.js';

/** One check per host program, with the package to install when it is missing. */
export const hostToolChecks: CheckDefinition[] = HOST_TOOLS.map(({ tool, pkg, purpose }) => ({
  id: `tool:${tool}`,
  title: `${tool} (${purpose})`,
  run: () => {
    const path = which(tool);
    return path
      ? { status: 'pass', detail: path }
      : {
          status: 'fail',
          detail: `${tool} not found`,
          fix: `sudo apt-get install ${pkg} (or: sudo banger system setup --install-packages)`,
        };
  },
}));
