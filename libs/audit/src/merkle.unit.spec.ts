import fc from 'fast-check';
import {
  auditPath,
  leafHash,
  MerkleTree,
  merkleRoot,
  nodeHash,
  rootFromAuditPath,
  verifyAuditPath,
} from './merkle';

// The test vectors of RFC 6962's reference implementation (certificate-transparency, merkle
// tree tests): eight leaves of raw bytes and the root of each prefix of them.
const LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((bytes) => leafHash(Buffer.from(bytes, 'hex')));
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

const hex = (b: Buffer) => b.toString('hex');
const leavesOf = (n: number) => Array.from({ length: n }, (_, i) => leafHash(`leaf ${i}`));

describe('the Merkle tree (RFC 6962)', () => {
  it('hashes the empty tree as SHA-256 of nothing, and matches the reference roots', () => {
    expect(hex(merkleRoot([]))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    ROOTS.forEach((root, i) => expect(hex(merkleRoot(LEAVES.slice(0, i + 1)))).toBe(root));
  });

  it('separates leaves from nodes (0x00 / 0x01 prefixes) and splits at the largest power of two', () => {
    const [a, b, c] = leavesOf(3);
    expect(hex(merkleRoot([a, b, c]))).toBe(hex(nodeHash(nodeHash(a, b), c)));
    expect(hex(merkleRoot([a, b]))).not.toBe(hex(leafHash(Buffer.concat([a, b]))));
  });

  it('gives the reference audit paths', () => {
    // Leaf 0 of 8 as in the reference tests; leaf 5 of 6: its sibling leaf 4, then the root of
    // the first four leaves (the reference root of size 4).
    expect(auditPath(LEAVES, 0).map(hex)).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    expect(auditPath(LEAVES.slice(0, 6), 5).map(hex)).toEqual([
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      ROOTS[3],
    ]);
  });

  it('proves every leaf of every tree size, and nothing else', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.nat(), (size, pick) => {
        const leaves = leavesOf(size);
        const index = pick % size;
        const tree = new MerkleTree(leaves);
        const root = tree.root();
        const path = tree.auditPath(index);
        expect(verifyAuditPath(index, size, leaves[index], path, root)).toBe(true);
        // Another leaf, another index, another root or a changed sibling: no longer a proof.
        expect(verifyAuditPath(index, size, leafHash('forged'), path, root)).toBe(false);
        if (size > 1) {
          expect(verifyAuditPath((index + 1) % size, size, leaves[index], path, root)).toBe(false);
        }
        expect(verifyAuditPath(index, size, leaves[index], path, leafHash('other root'))).toBe(
          false,
        );
        if (path.length) {
          const bent = [...path];
          bent[0] = leafHash('bent');
          expect(verifyAuditPath(index, size, leaves[index], bent, root)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses indexes outside the tree', () => {
    expect(() => auditPath(leavesOf(3), 3)).toThrow(RangeError);
    expect(rootFromAuditPath(3, 3, leafHash('x'), [])).toBeNull();
    expect(rootFromAuditPath(-1, 3, leafHash('x'), [])).toBeNull();
    // A path longer than the tree is tall.
    expect(rootFromAuditPath(0, 1, leafHash('x'), [leafHash('y')])).toBeNull();
  });
});
