import { describe, expect, it } from 'vitest';
import { admits, type Principal } from '../principal';

const eng = (role: 'viewer' | 'operator' | 'admin'): Principal => ({ kind: 'manufacturer', accountId: 'e', role });
const own = (role: 'viewer' | 'co-owner' | 'owner'): Principal => ({ kind: 'owner', accountId: 'o', ownerId: 'h', role });

describe('admits', () => {
  it('a bare kind admits every role of that kind and no other kind', () => {
    expect(admits(['owner'], own('viewer'))).toBe(true);
    expect(admits(['owner'], eng('admin'))).toBe(false);
    expect(admits(['manufacturer'], { kind: 'grantee', accountId: 'g', role: 'grantee' })).toBe(false);
  });
  it('kind:role admits that role and higher ones only', () => {
    expect(admits(['manufacturer:operator'], eng('viewer'))).toBe(false);
    expect(admits(['manufacturer:operator'], eng('operator'))).toBe(true);
    expect(admits(['manufacturer:operator'], eng('admin'))).toBe(true);
    expect(admits(['owner:co-owner'], own('viewer'))).toBe(false);
    expect(admits(['owner:co-owner'], own('owner'))).toBe(true);
    expect(admits(['owner:owner'], own('co-owner'))).toBe(false);
  });
});
