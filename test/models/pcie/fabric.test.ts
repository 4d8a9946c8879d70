import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { creditClass, Tlp } from '../../../models/pcie/fabric.js';
import { creditClassIndex } from '../../../models/pcie/credits.js';
import { paddedBytes } from '../../../models/pcie/split-cache.js';
import { payloadWireBytes, type TlpType } from '../../../models/pcie/tlp.js';

const tlp = (type: ConstructorParameters<typeof Tlp>[0], addr: number, length: number) => new Tlp(type, addr, length, 0, 0, 0, 0, 0);

test('credit classes follow the spec: writes and messages posted, reads non-posted, completions their own', () => {
  assert.equal((['MWr', 'Msg', 'MsgD', 'MRd', 'Cpl', 'CplD'] as const).map(creditClass), ['P', 'P', 'P', 'NP', 'Cpl', 'Cpl']);
});

test('data credits count the payload as sent, padded to whole DWs, 16 bytes per credit', () => {
  assert.is(tlp('MWr', 0, 16).dataCredits, 1, '16 aligned bytes: 4 DW = 1 credit');
  assert.is(tlp('MWr', 2, 16).dataCredits, 2, 'bytes 2..17 span DWs 0..4 = 20 bytes = 2 credits');
  assert.is(tlp('CplD', 0, 256).dataCredits, 16);
  assert.is(tlp('MRd', 0, 4096).dataCredits, 0, 'a read request carries no data');
  assert.is(tlp('Cpl', 0, 0).dataCredits, 0);
});

test('the fields computed once per TLP agree with the functions they stand for, at any address', () => {
  const types: TlpType[] = ['MWr', 'Msg', 'MsgD', 'MRd', 'Cpl', 'CplD'];
  // Past 2^32 the model computes % 4 with a bitwise & (fabric.ts DW_MASK): check it there and near 2^53.
  const bases = [0, 4096, 2 ** 32 - 8, 2 ** 32, 2 ** 40 + 4096, 2 ** 53 - 2 ** 20];
  for (const type of types) {
    for (const base of bases) {
      for (const off of [0, 1, 2, 3, 5]) {
        for (const length of [0, 1, 3, 4, 15, 16, 17, 255, 256, 4093]) {
          const addr = base + off;
          const t = tlp(type, addr, length);
          const payload = type === 'MWr' || type === 'CplD' || type === 'MsgD' ? length : 0;
          assert.is(t.cls, creditClassIndex(type), `${type} class`);
          assert.is(t.payloadBytes, payload, `${type} payload`);
          assert.is(t.dataCredits, Math.ceil(payloadWireBytes(addr, payload) / 16), `${type} ${length} B at ${addr}: data credits`);
          assert.is(paddedBytes(addr, length), payloadWireBytes(addr, length), `${length} B at ${addr}: padded bytes`);
        }
      }
    }
  }
});

test('a TLP with an address or length tlp.ts rejects is rejected', () => {
  assert.throws(() => tlp('MWr', -4, 16), (e: unknown) => e instanceof RangeError);
  assert.throws(() => tlp('MRd', 2 ** 53, 0), (e: unknown) => e instanceof RangeError);
  assert.throws(() => tlp('CplD', 0, 1.5), (e: unknown) => e instanceof RangeError);
  assert.throws(() => tlp('MWr', 2 ** 53 - 8, 16), (e: unknown) => e instanceof RangeError, 'ends past 2^53');
});

test.run();
