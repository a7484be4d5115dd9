import type { PrivilegedTool } from './allow-list.js';

/**
 * Absolute paths of the networking tools. sudoers matches commands by full
 * path, so privileged commands always run by these paths, as root or not.
 * Debian, Ubuntu and Fedora keep them in /usr/sbin (resolvectl in /usr/bin);
 * other hosts override.
 */
export type ToolPaths = Record<PrivilegedTool, string> & { sudo: string };

export const DEFAULT_TOOL_PATHS: ToolPaths = {
  ip: '/usr/sbin/ip',
  iptables: '/usr/sbin/iptables',
  'iptables-save': '/usr/sbin/iptables-save',
  sysctl: '/usr/sbin/sysctl',
  resolvectl: '/usr/bin/resolvectl',
  sudo: 'sudo',
};
