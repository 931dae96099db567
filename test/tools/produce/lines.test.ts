import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/units.js';
import { parseAcks, parseHeader, splitLine, unescapeSeparator } from '../../../src/tools/produce/lines.js';

describe('mq produce input', () => {
  it('splits the key at the first separator; a line without one has no key', () => {
    expect(splitLine('k:v:w', ':')).toEqual({ key: 'k', value: 'v:w' });
    expect(splitLine(':v', ':')).toEqual({ key: '', value: 'v' });
    expect(splitLine('k::v', '::')).toEqual({ key: 'k', value: 'v' });
    expect(splitLine('no separator', ':')).toEqual({ key: null, value: 'no separator' });
    expect(splitLine('k:v', undefined)).toEqual({ key: null, value: 'k:v' });
  });

  it('reads separators with shell-unfriendly characters as escapes, and refuses empty or newline ones', () => {
    expect(unescapeSeparator('\\t')).toBe('\t');
    expect(unescapeSeparator('\\\\')).toBe('\\');
    expect(unescapeSeparator('=>')).toBe('=>');
    expect(() => unescapeSeparator('')).toThrow(UsageError);
    expect(() => unescapeSeparator('\\n')).toThrow(/cannot contain a newline/);
  });

  it('parses headers as key=value (the value may hold "=") and acks as all|1|0', () => {
    expect(parseHeader('a=b=c')).toEqual({ key: 'a', value: 'b=c' });
    expect(parseHeader('empty=')).toEqual({ key: 'empty', value: '' });
    expect(() => parseHeader('=v')).toThrow(/expected key=value/);
    expect(() => parseHeader('novalue')).toThrow(UsageError);
    expect([parseAcks('all'), parseAcks('-1'), parseAcks('1'), parseAcks('0')]).toEqual([-1, -1, 1, 0]);
    expect(() => parseAcks('2')).toThrow(/expected all, 1 or 0/);
  });
});
