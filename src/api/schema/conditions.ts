// The standard Kubernetes condition shape (metav1.Condition), as a map list keyed by type.
import type { Schema } from '../schema-helpers.js';
import { arr, int, obj, str } from '../schema-helpers.js';

export const conditionsSchema: Schema = arr(
  'Conditions in the standard Kubernetes shape; lastTransitionTime changes only when status does.',
  obj(
    'One aspect of the current state.',
    {
      type: str('Type of the condition, e.g. Ready.', { maxLength: 316 }),
      status: str('True, False or Unknown.', { enum: ['True', 'False', 'Unknown'] }),
      observedGeneration: int('The metadata.generation this condition was computed for.', { minimum: 0 }),
      lastTransitionTime: str('When status last changed.', { format: 'date-time' }),
      reason: str('Machine-readable CamelCase reason for the last transition.', { maxLength: 1024 }),
      message: str('Human-readable detail.', { maxLength: 32768 }),
    },
    { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
  ),
  { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'], maxItems: 16 },
);
