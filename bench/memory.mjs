// Memory of the Chromium renderer processes this driver started, from Linux's /proc:
// every descendant of this Node process whose command line has `--type=renderer`.
// Dedicated workers run inside their page's renderer process, so with one app page open
// the largest renderer is that page plus its worker (plus Blink's own overhead).

import { readdir, readFile } from 'node:fs/promises';

async function processes() {
  const list = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may hold spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8');
      list.push({ pid: Number(name), ppid: Number(fields[1]), cmdline });
    } catch {
      // The process ended while we looked.
    }
  }
  return list;
}

function descendants(list, root) {
  const found = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of list) {
      if (!found.has(p.pid) && found.has(p.ppid)) {
        found.add(p.pid);
        grew = true;
      }
    }
  }
  return list.filter((p) => p.pid !== root && found.has(p.pid));
}

/**
 * Resident (RSS) and proportional (PSS) set sizes of this driver's renderer processes:
 * the sums, and the largest process (with one app page open, the app's page + worker).
 */
export async function rendererMemory() {
  const renderers = descendants(await processes(), process.pid)
    // Chromium rewrites its command line as one space-separated string.
    .filter((p) => /(^|[\s\0])--type=renderer([\s\0]|$)/.test(p.cmdline));
  const sizes = [];
  for (const { pid } of renderers) {
    const rollup = await readFile(`/proc/${pid}/smaps_rollup`, 'utf8').catch(() => '');
    sizes.push({ pid, rss_bytes: kilobytes(rollup, 'Rss') * 1024, pss_bytes: kilobytes(rollup, 'Pss') * 1024 });
  }
  sizes.sort((a, b) => b.rss_bytes - a.rss_bytes);
  const sum = (field) => sizes.reduce((total, p) => total + p[field], 0);
  return {
    processes: sizes.length,
    rss_bytes: sum('rss_bytes'),
    pss_bytes: sum('pss_bytes'),
    largest: sizes[0] ?? null,
  };
}

function kilobytes(text, field) {
  const match = text.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  return match ? Number(match[1]) : 0;
}
