import { describe, expect, it } from 'vitest';
import { validateImageName } from '../../../domain/image.js';
import { imageNameForReference } from './image-create.js';

describe('imageNameForReference', () => {
  it('derives a valid name from repository and tag or digest', () => {
    const cases: [string, string][] = [
      ['docker.io/library/alpine:3.20', 'alpine-3-20'],
      ['alpine', 'alpine-latest'],
      ['localhost:5000/team/my_app:V1', 'my-app-v1'],
      [`ghcr.io/x/tool@sha256:${'ab'.repeat(32)}`, 'tool-abababababab'],
      ['docker.io/library/debian:bookworm', 'debian-bookworm-oci'],
      [`r.example/${'a'.repeat(80)}:t`, 'a'.repeat(59)],
    ];
    for (const [ref, name] of cases) {
      expect(imageNameForReference(ref), ref).toBe(name);
      expect(validateImageName(imageNameForReference(ref))).toBe(name);
    }
  });
});
