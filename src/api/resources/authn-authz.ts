/**
 * Review resources that are only created and answered, never stored:
 * authentication.k8s.io SelfSubjectReview (`kubectl auth whoami`) and authorization.k8s.io
 * SelfSubjectAccessReview (`kubectl auth can-i`).
 */
import { defineResource } from './define.js';

export const selfsubjectreviews = defineResource({
  group: 'authentication.k8s.io', version: 'v1', kind: 'SelfSubjectReview', plural: 'selfsubjectreviews', namespaced: false, verbs: ['create'],
});

export const selfsubjectaccessreviews = defineResource({
  group: 'authorization.k8s.io', version: 'v1', kind: 'SelfSubjectAccessReview', plural: 'selfsubjectaccessreviews', namespaced: false, verbs: ['create'],
});
