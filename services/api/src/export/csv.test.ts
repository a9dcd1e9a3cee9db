import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, csvField, csvLine } from './csv';

describe('CSV export fields', () => {
  it('quotes separators, quotes and newlines', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(3.5)).toBe('3.5');
    expect(csvField(null)).toBe('');
  });
  it('defuses spreadsheet formulas from device text', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-2')).toBe("'-2");
  });
  it('writes every column in order', () => {
    expect(csvLine({ record: 'sample', metric: 'temp_c', value: 4 }).split(',')).toHaveLength(CSV_COLUMNS.length);
  });
});
