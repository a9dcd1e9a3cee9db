import { describe, expect, it } from 'vitest';
import { parseJustification } from './justification';

describe('parseJustification', () => {
  it('accepts known kinds with and without a reference', () => {
    expect(parseJustification('support-case:4711')).toEqual({ kind: 'support-case', ref: '4711', text: 'support-case:4711' });
    expect(parseJustification('fleet-analytics')).toMatchObject({ kind: 'fleet-analytics', ref: null });
  });
  it('requires one, and refuses unknown kinds, missing references and odd characters', () => {
    expect(() => parseJustification(undefined)).toThrow(expect.objectContaining({ code: 'justification_required' }));
    expect(() => parseJustification('curiosity')).toThrow(expect.objectContaining({ code: 'invalid_justification' }));
    expect(() => parseJustification('support-case')).toThrow(expect.objectContaining({ code: 'invalid_justification' }));
    expect(() => parseJustification("support-case:1' OR 1=1")).toThrow(expect.objectContaining({ code: 'invalid_justification' }));
  });
});
