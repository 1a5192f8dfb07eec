import type { ComponentType } from 'react';
import type { Action, SubjectName } from '@rc/contracts';

/** A page of the console: where it lives (`/t/<tenant>/<id>`), and the permission it needs to show. */
export interface PageDefinition {
  id: string;
  label: string;
  permission: readonly [Action, SubjectName];
  Component: ComponentType;
}
