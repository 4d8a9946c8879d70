/**
 * `pciesim calibrate` refuses bad input as every command does: exit 2, a
 * message naming the file (or flag) at fault, no stack trace, and no output
 * folder. The measurements are tiny, made up here; none is fitted.
 */
import { test } from 'uvu';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers.js';
import { checkAllRefused, type RefusedCase } from '../refusals.js';

const dir = tempDir('pciesim-calibrate-bad-');
const write = (name: string, body: string | Buffer) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, body);
  return file;
};
const SIMPLE_HEADER = 'scenario,metric,x,measured,platform,op,size,inFlight';
const good = write('good.csv', `${SIMPLE_HEADER}\ndma-bandwidth,dma.latency_ns.p50,64,620,nfp6000-xeon-e5-2630v4,read,64,1\n`);
const pcieBench = write('bw_dma_sz_sweep.csv', 'Test,PAT,Cache,HO,DO,WinSZ,SZ,BW (GB/s)\nBW_DMA_WR,Rand,HWarm,0,0,8192,64,24.3\n');
const out = path.join(dir, 'out');
/** A model library of one preset whose every value has a source: nothing to fit. */
const library = path.join(dir, 'library');
fs.mkdirSync(path.join(library, 'presets'), { recursive: true });
fs.writeFileSync(path.join(library, 'presets', 'sourced-only.json'), JSON.stringify({
  name: 'sourced-only', type: 'pcie.dma-engine', description: 'A DMA engine whose one value is measured',
  values: { issueLatency: { value: '170 ns', source: 'a datasheet' } },
}));
const calibrate = (...args: string[]) => ['calibrate', ...args, '--out', out];
const PLATFORM = ['--preset', 'nfp6000-xeon-e5-2630v4'];

test('missing, corrupt and wrong-column measurements; unknown or unfittable presets; bad flags: refused, nothing written', async () => {
  const cases: RefusedCase[] = [
    { args: calibrate(...PLATFORM, '--measured', path.join(dir, 'nosuch.csv')), names: /nosuch\.csv: cannot read/ },
    // A row cut short, as a crash or a full disk leaves it.
    { args: calibrate(...PLATFORM, '--measured', write('cut.csv', `${SIMPLE_HEADER}\ndma-bandwidth,dma.latency_ns.p50,64,620,nfp6000-xeon-e5-2630v4,read,64,1\ndma-bandwidth,dma.lat`)), names: /cut\.csv: line 3: expected 8 fields/ },
    { args: calibrate(...PLATFORM, '--measured', write('image.csv', Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex'))), names: /image\.csv: line 1: neither pcie-bench's format/ },
    { args: calibrate(...PLATFORM, '--measured', write('summary.json', '{"status": "ok",\n "metrics": {}}\n')), names: /summary\.json: line 1: not CSV \(it reads as JSON\)/ },
    { args: calibrate(...PLATFORM, '--measured', write('value.csv', 'scenario,metric,x,value\ndma-bandwidth,dma.latency_ns.p50,64,620\n')), names: /value\.csv: line 1: no column "measured"/ },
    { args: calibrate(...PLATFORM, '--measured', write('text.csv', `${SIMPLE_HEADER}\ndma-bandwidth,dma.latency_ns.p50,64,fast,nfp6000-xeon-e5-2630v4,read,64,1\n`)), names: /text\.csv: line 2: column "measured": expected a number/ },
    { args: calibrate(...PLATFORM, '--measured', write('nosuchparam.csv', 'scenario,metric,x,measured,colour\ndma-bandwidth,dma.latency_ns.p50,64,620,red\n')), names: /nosuchparam\.csv: line 2: column colour: .*declares no parameter "colour"/ },
    { args: calibrate(...PLATFORM, '--measured', write('unit.csv', 'scenario,metric,x,measured,size\ndma-bandwidth,dma.latency_ns.p50,64,620,64 furlongs\n')), names: /unit\.csv: line 2: column size=64 furlongs: .*not a unit of size/ },
    { args: calibrate(...PLATFORM, '--measured', write('cold.csv', 'Test,PAT,Cache,HO,DO,WinSZ,SZ,BW (GB/s)\nBW_DMA_WR,Rand,Cold,0,0,8192,64,24.3\n')), names: /cold\.csv: no rows to simulate/ },
    { args: calibrate('--preset', 'nosuch-preset', '--measured', good), names: '--preset nosuch-preset: no such preset' },
    { args: calibrate('--preset', 'sourced-only', '--measured', good), names: /sourced-only\.json: preset sourced-only has no estimated value/, env: { PCIESIM_MODEL_PATH: library } },
    { args: calibrate('--preset', 'nfp6000-dma', '--measured', pcieBench), names: /--preset nfp6000-dma: .*does not use it.*--set platform=/ },
    { args: calibrate(...PLATFORM, '--measured', good, '--fit', 'travesal'), names: /--fit travesal: .*did you mean "traversal"/ },
    { args: calibrate(...PLATFORM), names: '--measured' },
    { args: calibrate('--measured', good), names: '--preset' },
    { args: calibrate(...PLATFORM, '--measured', good, '--name', 'a/b'), names: '--name a/b' },
    // A bad flag is the flag's fault, not the file's.
    { args: calibrate(...PLATFORM, '--measured', good, '--set', 'platform=nosuch'), names: /^pciesim calibrate: --set platform=nosuch: parameter "platform"/ },
    { args: calibrate(...PLATFORM, '--measured', good, '--set', 'sise=64'), names: /^pciesim calibrate: --set sise: .*did you mean "size"/ },
  ];
  await checkAllRefused(cases.map((c) => ({ ...c, absent: [out] })), dir);
  await checkAllRefused([{ args: ['calibrate', ...PLATFORM, '--measured', good, '--out', good], names: 'good.csv: exists and is not a folder' }], dir);
});

test.run();
