import { describe, expect, it } from 'vitest';
import { routePath, routes } from './routes.js';

describe('routePath', () => {
  it('fills each parameter, URL-encoded, so a name cannot reach another route', () => {
    expect(routePath(routes.showVm, { ref: 'web' })).toBe('/v1/vms/web');
    expect(routePath(routes.startVm, { ref: '../images/x?y#z' })).toBe(
      '/v1/vms/..%2Fimages%2Fx%3Fy%23z/start',
    );
    expect(routePath(routes.pullKernel, { name: 'a b' })).toBe('/v1/kernels/a%20b/pull');
    expect(routePath(routes.listVms)).toBe('/v1/vms');
  });

  it('refuses a missing parameter instead of sending a literal :ref', () => {
    expect(() => routePath(routes.deleteVm, {})).toThrow('route DELETE /v1/vms/:ref needs :ref');
  });

  it('declares each method and path once', () => {
    const keys = Object.values(routes).map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
