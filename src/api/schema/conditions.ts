// The standard Kubernetes condition shape (metav1.Condition, with its bounds and patterns), as a map
// list keyed by type, so several writers can each server-side apply their own condition types.
import type { Schema } from '../schema-helpers.js';
import { arr, int, mapList, obj, str, time } from '../schema-helpers.js';

export const MAX_CONDITIONS = 16;

export const conditionsSchema: Schema = arr(
  'Conditions in the standard Kubernetes shape, one per type; lastTransitionTime changes only when status does.',
  obj(
    'One aspect of the current state.',
    {
      type: str('Type of the condition in CamelCase, e.g. Ready.', {
        maxLength: 316,
        pattern:
          '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
      }),
      status: str('True, False or Unknown.', { enum: ['True', 'False', 'Unknown'] }),
      observedGeneration: int('The metadata.generation this condition was computed for.', { minimum: 0 }),
      lastTransitionTime: time('When status last changed.'),
      reason: str('Machine-readable CamelCase reason for the last transition.', {
        minLength: 1,
        maxLength: 1024,
        pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
      }),
      message: str('Human-readable detail; may be empty.', { maxLength: 32768 }),
    },
    { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
  ),
  { ...mapList('type'), maxItems: MAX_CONDITIONS },
);
