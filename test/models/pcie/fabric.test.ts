import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { creditClass, Tlp } from '../../../models/pcie/fabric.js';

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

test.run();
