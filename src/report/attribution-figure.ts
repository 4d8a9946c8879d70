/** Where the time went: one stacked bar per grid point, one segment per component, averaged over replications. */
import type { Figure } from './figure.js';
import type { Representatives } from './grid.js';
import { meanAttribution } from './replications.js';
import { stackedBarSpec, type StackedBarRow } from './specs.js';
import { timeUnitFor } from './time-unit.js';

/** Null when no run at these points attributes its time. */
export function attributionFigure(at: Representatives): Figure | null {
  const bars = at.points.map((point, i) => ({ label: at.labels[i]!, charges: meanAttribution(point.runs) }));
  const totals = bars.map((bar) => bar.charges.reduce((sum, [, ps]) => sum + ps, 0));
  if (bars.every((bar) => bar.charges.length === 0)) return null;
  const unit = timeUnitFor(Math.max(...totals));
  const rows: StackedBarRow[] = bars.flatMap((bar) =>
    bar.charges.map(([component, ps]) => ({ bar: bar.label, component, value: ps / unit.ps })));
  const title = `Where the time went${at.slice ? ` ${at.slice}` : ''}`;
  const caption =
    'Simulated time charged to each component per transaction (a transfer, a frame), averaged over replications' +
    `${at.slice ? `, ${at.slice}` : ''}. PCIe hops (link, switch, root complex, IOMMU, memory) charge the time each of the ` +
    "transaction's TLPs spent there, so pipelined TLPs add up to more than the transaction's latency.";
  return {
    name: 'attribution',
    title,
    caption,
    spec: stackedBarSpec({
      title,
      rows,
      xTitle: `Time charged (${unit.name})`,
      ...(at.legendTitle ? { barTitle: at.legendTitle } : {}),
    }),
  };
}
