/** The hypervisor's trace: one `hypercall` row per call, named by its op, adding up to the run's counts. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { cliInProcess, tempDir } from '../helpers.js';
import { readTrace, type TraceRow } from '../../src/trace/index.js';

test('a traced Xen run records every hypercall: its op as label, its domain, continuations and time from call to return', async () => {
  const dir = tempDir();
  const r = await cliInProcess(['run', 'gref-schemes', '--set', 'pages=300', '--trace', '--out', dir, '--json']);
  assert.is(r.code, 0, r.stderr);
  const m = JSON.parse(r.stdout).metrics as Record<string, number>;
  const rows: TraceRow[] = [];
  for await (const row of readTrace(path.join(dir, 'trace.arrow'))) if (row.kind === 'hypercall') rows.push(row);
  assert.is(rows.length, m['xen.hypercalls'], 'one row per hypercall');
  assert.ok(rows.length > 0);
  assert.is(rows.reduce((s, x) => s + x.b, 0), m['xen.continuations'], 'b: continuations');
  const ops = new Set(rows.map((x) => x.label));
  assert.ok(ops.has('grant_table_op:map') && ops.has('event_channel_op:send'), [...ops].join(', '));
  assert.ok(rows.every((x) => x.component === 'xen' && x.latency > 0 && x.a >= 0), 'each from a domain, taking time');
  for (let k = 1; k < rows.length; k++) assert.ok(rows[k]!.time >= rows[k - 1]!.time, 'in time order');
});

test.run();
